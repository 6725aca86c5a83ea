/**
 * Effective access, evaluated offline as IAM does: identity policies,
 * permissions boundary, every SCP on the account's path, the resource policy
 * and, where the call goes through one, the VPC endpoint policy.
 *
 * The evaluator is @cloud-copilot/iam-simulate (AGPL-3.0-or-later): a
 * devDependency, imported only under test/, never by anything synth runs or
 * the estate deploys (README, "Effective access").
 */
import { getDenialReasons, getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate';
import type { AccessDecisionReason } from '../../lib/compliance/evidence/guardrails';

export interface Principal {
  readonly arn: string;
  readonly account: string;
  readonly identityPolicies: ReadonlyArray<{ name: string; policy: unknown }>;
  readonly boundary?: { name: string; policy: unknown };
  readonly tags?: Record<string, string>;
  /** A person's session (personas, break-glass): MFA present. */
  readonly person?: boolean;
}

export interface Question {
  readonly principal: Principal;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly region: string;
  readonly resourcePolicy?: unknown;
  readonly resourceTags?: Record<string, string>;
  readonly endpointPolicies?: ReadonlyArray<{ name: string; policy: unknown }>;
  /** SCPs on the principal's account path (all of the organization's apply to every estate account). */
  readonly scps: ReadonlyArray<{ name: string; policy: unknown }>;
  readonly context?: Record<string, string | string[]>;
}

export interface Answer {
  readonly decision: 'allowed' | 'denied';
  readonly result: string;
  readonly by: AccessDecisionReason[];
}

const FULL_AWS_ACCESS = {
  name: 'FullAWSAccess',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
};

/**
 * An endpoint policy as the simulator wants it: `Principal: "*"` (aws-cdk-lib writes `{ AWS: "*" }`, which IAM treats
 * the same).
 */
function anyPrincipalAsStar(policy: any): any {
  return {
    ...policy,
    Statement: [policy.Statement].flat().map((s: any) => (s.Principal?.AWS === '*' ? { ...s, Principal: '*' } : s)),
  };
}

/** Drops keys set to undefined (a removed condition), which the simulator refuses. */
const clean = (policy: unknown) => (policy === undefined ? undefined : JSON.parse(JSON.stringify(policy)));

export async function ask(q: Question): Promise<Answer> {
  const context: Record<string, string | string[]> = {
    'aws:PrincipalArn': q.principal.arn,
    'aws:PrincipalAccount': q.principal.account,
    'aws:PrincipalType': 'AssumedRole',
    'aws:ResourceAccount': q.resourceAccount,
    'aws:RequestedRegion': q.region,
    'aws:SecureTransport': 'true',
    ...(q.principal.person ? { 'aws:MultiFactorAuthPresent': 'true' } : {}),
    // Service keys every request of these services carries.
    ...(q.action.startsWith('s3:') ? { 's3:ResourceAccount': q.resourceAccount } : {}),
    ...(q.action.startsWith('kms:') ? { 'kms:CallerAccount': q.principal.account } : {}),
    ...Object.fromEntries(Object.entries(q.principal.tags ?? {}).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
    ...Object.fromEntries(Object.entries(q.resourceTags ?? {}).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
    ...q.context,
  };
  const result: any = await runSimulation(
    {
      request: {
        principal: q.principal.arn,
        action: q.action,
        resource: { resource: q.resource, accountId: q.resourceAccount },
        contextVariables: context,
      },
      identityPolicies: q.principal.identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
      permissionBoundaryPolicies: q.principal.boundary ? [q.principal.boundary] : undefined,
      serviceControlPolicies: [{ orgIdentifier: 'estate', policies: [FULL_AWS_ACCESS, ...q.scps] }],
      resourceControlPolicies: [],
      resourcePolicy: clean(q.resourcePolicy),
      vpcEndpointPolicies: q.endpointPolicies
        ? q.endpointPolicies.map((e) => ({ name: e.name, policy: anyPrincipalAsStar(e.policy) }))
        : undefined,
    } as never,
    {},
  );
  if (result.resultType === 'error')
    throw new Error(
      `simulation of ${q.action} on ${q.resource} by ${q.principal.arn} did not run: ${JSON.stringify(result.errors)}`,
    );
  const analyses = result.resultType === 'single' ? [result.result] : result.results;
  const allowed = result.overallResult === 'Allowed';
  const by: AccessDecisionReason[] = [];
  for (const a of analyses) {
    const reasons = allowed
      ? getGrantReasons(a.analysis)
      : getDenialReasons(a.analysis).filter((d: any) => d.denialType === 'Explicit');
    for (const r of reasons as any[]) {
      by.push({
        policyType: r.policyType,
        policy: r.policyIdentifier ?? r.policyType,
        statement: r.statementId ?? `statement ${r.statementIndex}`,
      });
    }
  }
  return { decision: allowed ? 'allowed' : 'denied', result: result.overallResult, by: dedupe(by) };
}

function dedupe(reasons: AccessDecisionReason[]): AccessDecisionReason[] {
  const seen = new Set<string>();
  return reasons.filter((r) => {
    const k = `${r.policyType}|${r.policy}|${r.statement}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A copy of a policy without the statements whose Sid is given: the control removed. */
export function without(policy: any, ...sids: string[]): any {
  const statements = [policy.Statement].flat();
  const kept = statements.filter((s: any) => !sids.includes(s.Sid));
  if (kept.length === statements.length) throw new Error(`no statement ${sids.join(', ')} to remove`);
  return { ...policy, Statement: kept };
}

/** SCPs with statements removed. */
export function scpsWithout(scps: ReadonlyArray<{ name: string; policy: any }>, ...sids: string[]) {
  let removed = 0;
  const out = scps.map((p) => {
    const statements = [p.policy.Statement].flat();
    const kept = statements.filter((s: any) => !sids.includes(s.Sid));
    removed += statements.length - kept.length;
    return { ...p, policy: { ...p.policy, Statement: kept } };
  });
  if (removed !== sids.length) throw new Error(`removed ${removed} of ${sids.join(', ')}`);
  return out;
}

/** SCPs with one statement replaced. */
export function scpsWith(scps: ReadonlyArray<{ name: string; policy: any }>, sid: string, change: (s: any) => any) {
  let found = false;
  const out = scps.map((p) => ({
    ...p,
    policy: {
      ...p.policy,
      Statement: [p.policy.Statement].flat().map((s: any) => {
        if (s.Sid !== sid) return s;
        found = true;
        return change(s);
      }),
    },
  }));
  if (!found) throw new Error(`no statement ${sid}`);
  return out;
}
