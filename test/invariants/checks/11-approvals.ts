import { governedGroupFilter, MAX_LISTED_GROUPS } from '../../../lib/ml/registry-scope';
import type { EstateUnderTest } from '../suite';
import type { Persona } from '../../../lib/config/access';
import { trustOfNamed } from '../../support/trust';

/** Every value of a key named ModelApprovalStatus anywhere in a template. */
const approvalStatuses = (node: unknown): unknown[] =>
  Array.isArray(node)
    ? node.flatMap(approvalStatuses)
    : node && typeof node === 'object'
      ? Object.entries(node).flatMap(([k, v]) => (k === 'ModelApprovalStatus' ? [v] : approvalStatuses(v)))
      : [];

/** Invariant 6 and the gates' wiring: only the gate or the model-risk approver approves; templates never do. */
export default function approvals(estate: EstateUnderTest): void {
  const { config, stacks, ofType, envOf, synth } = estate;
  const ids = config.models.map((m) => m.id);

  test('invariant 6: no template creates a model package or sets any approval status; rules only listen for one', () => {
    for (const stack of stacks.all) {
      expect([stack, ofType(stack, 'AWS::SageMaker::ModelPackage')]).toEqual([stack, []]);
      const resources = synth().templates[stack].toJSON().Resources as Record<
        string,
        { Type: string; Properties?: any }
      >;
      for (const [id, resource] of Object.entries(resources)) {
        const statuses = approvalStatuses(resource).flat();
        if (statuses.length === 0) continue;
        // The only mentions: the trigger of the approval gate (packages still pending) and of the
        // model pinner (packages approved): event patterns that match a status, never set one.
        expect([stack, id, resource.Type]).toEqual([stack, id, 'AWS::Events::Rule']);
        expect([stack, id, approvalStatuses(resource.Properties?.Targets ?? []).length]).toEqual([stack, id, 0]);
        const target = JSON.stringify(resource.Properties.Targets);
        const expected = statuses.every((s) => s === 'PendingManualApproval')
          ? /ApprovalGateFunction/
          : statuses.every((s) => s === 'Approved')
            ? /ModelPinnerFunction/
            : /^$/;
        expect([stack, id, statuses, target]).toEqual([stack, id, statuses, expect.stringMatching(expected)]);
      }
    }
  });

  for (const stack of stacks.governance) {
    describe(`model governance (${stack})`, () => {
      test('only the approval gate and the model-risk approver may update packages, only in the governed groups', () => {
        const env = envOf(stack);
        const policies = ofType(stack, 'AWS::IAM::ManagedPolicy');
        const updates = (s: any) => s.Effect === 'Allow' && [s.Action].flat().includes('sagemaker:UpdateModelPackage');
        const updaters = policies.filter(([, p]) => p.Properties.PolicyDocument.Statement.some(updates));
        expect(updaters.map(([id]) => id).sort()).toEqual([
          expect.stringMatching(/^ApprovalGateRoleGrants/),
          expect.stringMatching(/^PersonasModelRiskApproverGrants/),
        ]);
        const prefix = `arn:aws:sagemaker:${env.region}:${env.account}:model-package`;
        const governed =
          ids.length > MAX_LISTED_GROUPS ? [`${prefix}/*/*`] : ids.map((id) => `${prefix}/${id}/*`).sort();
        for (const [, p] of updaters) {
          const statement = p.Properties.PolicyDocument.Statement.find(updates);
          expect([statement.Resource].flat().sort()).toEqual(governed.length ? governed : expect.anything());
        }
        for (const [, p] of policies)
          expect(JSON.stringify(p.Properties.PolicyDocument)).not.toMatch(/"sagemaker:\*"|"sagemaker:Update\*"/);
      });

      test('the approval gate runs when a package of a governed group awaits approval, with retries and a dead-letter queue', () => {
        const rules = ofType(stack, 'AWS::Events::Rule').filter(
          ([, r]) =>
            r.Properties.EventPattern &&
            approvalStatuses(r.Properties.EventPattern).flat().includes('PendingManualApproval'),
        );
        expect(rules).toHaveLength(1);
        const [[, rule]] = rules;
        const groups = governedGroupFilter(ids);
        expect(rule.Properties.EventPattern).toEqual({
          source: ['aws.sagemaker'],
          'detail-type': ['SageMaker Model Package State Change'],
          detail: {
            ...(groups ? { ModelPackageGroupName: groups } : {}),
            ModelApprovalStatus: ['PendingManualApproval'],
          },
        });
        expect(rule.Properties.Targets).toEqual([
          expect.objectContaining({
            Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ApprovalGateFunction/), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 21600 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ApprovalGateDeadLetters/), 'Arn'] } },
          }),
        ]);
      });

      test('every gate function is hardened: Node.js 24, isolated subnets, customer key, reserved concurrency, tracing, failure queue, HTTPS only', () => {
        const functions = ofType(stack, 'AWS::Lambda::Function');
        expect(functions.length).toBeGreaterThanOrEqual(3);
        for (const [id, fn] of functions) {
          const p = fn.Properties;
          expect([id, p.Runtime, p.TracingConfig, p.ReservedConcurrentExecutions > 0]).toEqual([
            id,
            'nodejs24.x',
            { Mode: 'Active' },
            true,
          ]);
          expect(JSON.stringify(p.VpcConfig.SubnetIds)).toMatch(/NetworkVpcworkloadSubnet1Subnet/);
          expect(JSON.stringify(p.KmsKeyArn)).toMatch(/KeysMlKey/);
          expect(p.DeadLetterConfig.TargetArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/DeadLetters/), 'Arn'] });
        }
        expect(ofType(stack, 'AWS::Lambda::Url')).toEqual([]);
        for (const [, sg] of ofType(stack, 'AWS::EC2::SecurityGroup')) {
          expect(sg.Properties.SecurityGroupEgress).toEqual([
            expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
          ]);
          expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
        }
      });

      test('personas are assumed only by the principals named for each; the data scientist registers only pending packages; nobody else changes an approval', () => {
        const env = envOf(stack);
        const roles = ofType(stack, 'AWS::IAM::Role').filter(([id]) => id.startsWith('Personas'));
        expect(roles.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
          'PersonasAuditor',
          'PersonasDataScientist',
          'PersonasMlEngineer',
          'PersonasModelRiskApprover',
        ]);
        const personaOf: Record<string, Persona> = {
          PersonasAuditor: 'auditor',
          PersonasDataScientist: 'dataScientist',
          PersonasMlEngineer: 'mlEngineer',
          PersonasModelRiskApprover: 'modelRiskApprover',
        };
        for (const [id, role] of roles) {
          expect([id, role.Properties.AssumeRolePolicyDocument.Statement]).toEqual([
            id,
            trustOfNamed(config, env, personaOf[id.replace(/[0-9A-F]{8}$/, '')]),
          ]);
        }
        const grantsOf = (persona: string) =>
          ofType(stack, 'AWS::IAM::ManagedPolicy').find(([id]) => id.startsWith(`Personas${persona}Grants`))![1]
            .Properties.PolicyDocument.Statement as any[];
        const register = grantsOf('DataScientist').find((s) =>
          [s.Action].flat().includes('sagemaker:CreateModelPackage'),
        );
        expect(register.Condition).toEqual({
          StringEquals: { 'sagemaker:ModelApprovalStatus': 'PendingManualApproval' },
        });
        for (const persona of ['DataScientist', 'MlEngineer']) {
          expect(grantsOf(persona)).toContainEqual(
            expect.objectContaining({
              Sid: 'NeverChangeApprovals',
              Effect: 'Deny',
              Action: 'sagemaker:UpdateModelPackage',
            }),
          );
        }
        const auditorAllows = grantsOf('Auditor')
          .filter((s) => s.Effect === 'Allow')
          .flatMap((s) => [s.Action].flat() as string[]);
        for (const action of auditorAllows)
          expect(action).toMatch(/^([a-z0-9-]+:(Get|List|Describe|Lookup|Filter|Select)|kms:Decrypt$)/);
      });
    });
  }

  test('every model has a package group and a model card in every environment, tagged with its owner and risk tier', () => {
    for (const env of config.environments) {
      const shards = stacks.shards.filter((s) => s.startsWith(`${env.name}/`));
      const groups = shards.flatMap((s) => ofType(s, 'AWS::SageMaker::ModelPackageGroup'));
      expect([env.name, groups.map(([, g]) => g.Properties.ModelPackageGroupName).sort()]).toEqual([
        env.name,
        [...ids].sort(),
      ]);
      for (const model of config.models) {
        const [, group] = groups.find(([, g]) => g.Properties.ModelPackageGroupName === model.id)!;
        expect(group.Properties.Tags).toEqual(
          expect.arrayContaining([
            { Key: 'model:owner', Value: model.owner },
            { Key: 'model:risk-tier', Value: model.riskTier },
          ]),
        );
      }
      const cards = shards.flatMap((s) => ofType(s, 'AWS::SageMaker::ModelCard'));
      expect([env.name, cards.map(([, c]) => c.Properties.ModelCardName).sort()]).toEqual([env.name, [...ids].sort()]);
    }
  });
}
