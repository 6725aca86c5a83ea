/**
 * The access matrix a reviewer asks for first: the estate's principals x its
 * sensitive actions -> allowed or denied, and by which statement of which
 * policy, simulated per environment from the synthesized policies.
 */
import type { AccessMatrixEvidence } from '../../lib/compliance/evidence/guardrails';
import { ADMINISTRATOR_ACCESS, EstateModel, RoleModel } from './estate-model';
import { ask, Principal } from './simulate';

export const MATRIX_PRINCIPALS = [
  { id: 'data-scientist', label: 'data scientist', path: 'ModelGovernance/Personas/DataScientist/', person: true },
  { id: 'ml-engineer', label: 'ML engineer', path: 'ModelGovernance/Personas/MlEngineer/', person: true },
  {
    id: 'model-risk-approver',
    label: 'model-risk approver',
    path: 'ModelGovernance/Personas/ModelRiskApprover/',
    person: true,
  },
  { id: 'auditor', label: 'auditor', path: 'ModelGovernance/Personas/Auditor/', person: true },
  { id: 'approval-gate', label: 'approval gate', path: 'ModelGovernance/ApprovalGate/Role/' },
  { id: 'deployment-gate', label: 'deployment gate', path: 'ModelGovernance/DeploymentGate/Role/' },
  { id: 'review-reminder', label: 'review reminder', path: 'ModelGovernance/ReviewReminder/Role/' },
  { id: 'retraining-guard', label: 'retraining guard', path: 'MLPlatform/RetrainingGuard/Role/' },
  { id: 'endpoint-execution', label: 'endpoint execution role (first model)', path: 'Endpoint/ExecutionRole/' },
  { id: 'deployment-role', label: 'deployment role (CloudFormation)', path: '' },
  { id: 'break-glass', label: 'break-glass', path: 'Foundation/BreakGlass/Role/', person: true },
] as const;

export const MATRIX_ACTIONS = [
  { id: 'approve-model', label: 'approve a model' },
  { id: 'write-evidence', label: "write the gate's evidence" },
  { id: 'change-prod-endpoint', label: 'change an endpoint' },
  { id: 'read-restricted-data', label: 'read captured inference data' },
  { id: 'disable-logging', label: 'stop the audit trail' },
  { id: 'delete-keys', label: 'delete the audit key' },
  { id: 'leave-region', label: 'work outside the allowed regions' },
] as const;

export async function accessMatrix(
  model: EstateModel,
  scps: Array<{ name: string; policy: unknown }>,
  environments = ['staging', 'prod'],
): Promise<AccessMatrixEvidence> {
  const cells: Array<AccessMatrixEvidence['cells'][number]> = [];
  const config = model.synth.config;
  for (const envName of environments) {
    const env = config.environments.find((e) => e.name === envName);
    if (!env) continue;
    const { account, region } = env;
    const org = config.organization.name;
    const governance = `${envName}/ModelGovernance`;
    const platform = `${envName}/MLPlatform`;
    const foundation = `${envName}/Foundation`;
    const artifactsPolicy = model.policyOf(governance, 'AWS::S3::BucketPolicy', 'ModelArtifacts/Policy');
    const capturePolicy = model.policyOf(platform, 'AWS::S3::BucketPolicy', 'InferenceCapture/Policy');
    const auditKeyId = model.resourceId(foundation, 'AWS::KMS::Key', 'Keys/AuditKey');
    const auditKeyPolicy = model.policyOf(foundation, 'AWS::KMS::Key', 'Keys/AuditKey', 'KeyPolicy');
    const model0 = config.models[0].id;
    const requests: Record<
      string,
      {
        action: string;
        resource: string;
        resourcePolicy?: unknown;
        context?: Record<string, string | string[]>;
        region?: string;
        tags?: Record<string, string>;
      }
    > = {
      'approve-model': {
        action: 'sagemaker:UpdateModelPackage',
        resource: `arn:aws:sagemaker:${region}:${account}:model-package/${model0}/1`,
        context: { 'sagemaker:ModelApprovalStatus': 'Approved' },
      },
      'write-evidence': {
        action: 's3:PutObject',
        resource: `arn:aws:s3:::model-artifacts-${account}-${region}/training/${model0}/exec-1/reports/evaluation.json`,
        resourcePolicy: artifactsPolicy,
      },
      'change-prod-endpoint': {
        action: 'sagemaker:UpdateEndpoint',
        resource: `arn:aws:sagemaker:${region}:${account}:endpoint/${envName}-${model0}`,
      },
      'read-restricted-data': {
        action: 's3:GetObject',
        resource: `arn:aws:s3:::inference-capture-${account}-${region}/capture/${envName}-${model0}/x.jsonl`,
        resourcePolicy: capturePolicy,
      },
      'disable-logging': {
        action: 'cloudtrail:StopLogging',
        resource: `arn:aws:cloudtrail:${region}:${account}:trail/${org}-${envName}-audit`,
      },
      'delete-keys': {
        action: 'kms:ScheduleKeyDeletion',
        resource: `arn:aws:kms:${region}:${account}:key/${auditKeyId}`,
        resourcePolicy: auditKeyPolicy,
        tags: model.tagsOf(foundation, auditKeyId),
      },
      'leave-region': { action: 'sagemaker:ListModels', resource: '*', region: 'us-east-1' },
    };
    for (const p of MATRIX_PRINCIPALS) {
      const principal = principalOf(model, p, envName, account, region);
      if (!principal) continue;
      for (const a of MATRIX_ACTIONS) {
        const r = requests[a.id];
        const answer = await ask({
          scps,
          principal,
          action: r.action,
          resource: r.resource,
          resourceAccount: account,
          region: r.region ?? region,
          resourcePolicy: r.resourcePolicy,
          resourceTags: r.tags,
          context: r.context,
        });
        cells.push({
          environment: envName,
          principal: p.id,
          action: a.id,
          request: { action: r.action, resource: r.resource },
          decision: answer.decision,
          by: answer.by,
        });
      }
    }
  }
  return {
    generatedBy:
      'simulated with @cloud-copilot/iam-simulate from the synthesized templates (a development tool, not run at synth)',
    principals: MATRIX_PRINCIPALS.map(({ id, label }) => ({ id, label })),
    actions: MATRIX_ACTIONS.map(({ id, label }) => ({ id, label })),
    cells,
  };
}

function principalOf(
  model: EstateModel,
  p: (typeof MATRIX_PRINCIPALS)[number],
  envName: string,
  account: string,
  region: string,
): Principal | undefined {
  if (p.id === 'deployment-role') {
    return {
      arn: `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`,
      account,
      identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
    };
  }
  const role: RoleModel | undefined = model.roles.find(
    (r) => r.key.startsWith(`${envName}/`) && r.path.includes(p.path),
  );
  if (!role) return undefined;
  return {
    arn: role.arn,
    account: role.account,
    identityPolicies: role.identityPolicies,
    boundary: role.boundary,
    tags: role.tags,
    person: 'person' in p && p.person,
  };
}
