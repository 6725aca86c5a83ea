import { Annotations, CfnResource, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * IAM's quotas on what one account holds (IAM User Guide, "IAM and AWS STS quotas", default quotas for IAM
 * entities: roles in an AWS account, 1,000 by default and 5,000 at most by automatic approval; customer managed
 * policies in an AWS account, 1,500 and 5,000). Beyond automatic approval, a quota is AWS's decision on a request.
 * IAM is global: every stack of an account counts, whatever its region.
 */
export const IAM_ACCOUNT_QUOTAS = {
  'AWS::IAM::Role': { what: 'IAM roles', quotaName: 'Roles per account', default: 1000, autoApproved: 5000 },
  'AWS::IAM::ManagedPolicy': {
    what: 'customer managed policies',
    quotaName: 'Customer managed policies per account',
    default: 1500,
    autoApproved: 5000,
  },
} as const;

export type IamQuotaType = keyof typeof IAM_ACCOUNT_QUOTAS;

/**
 * What the CDK bootstrap stack holds in each region of an account it is deployed to: five roles (deploy,
 * CloudFormation execution, file and image publishing, lookup; their names carry the region) and no customer
 * managed policy.
 */
export const BOOTSTRAP_HOLDS: Record<IamQuotaType, number> = { 'AWS::IAM::Role': 5, 'AWS::IAM::ManagedPolicy': 0 };

/** What the README's runbook creates once in each account before bootstrapping: the `estate-cfn-execution` policy. */
export const RUNBOOK_HOLDS: Record<IamQuotaType, number> = { 'AWS::IAM::Role': 0, 'AWS::IAM::ManagedPolicy': 1 };

/** What the stacks under `root` create in one account, and the regions they are in. */
export interface IamHolding {
  readonly counts: Record<IamQuotaType, number>;
  readonly regions: ReadonlySet<string>;
}

/** How many of each quota-bound type the stacks under `root` create in each account, by account. */
export function iamHoldingsByAccount(root: IConstruct): Map<string, IamHolding> {
  const out = new Map<string, { counts: Record<IamQuotaType, number>; regions: Set<string> }>();
  const holding = (account: string) => {
    let h = out.get(account);
    if (!h)
      out.set(account, (h = { counts: { 'AWS::IAM::Role': 0, 'AWS::IAM::ManagedPolicy': 0 }, regions: new Set() }));
    return h;
  };
  for (const c of root.node.findAll()) {
    // Every region an account's stacks are in is bootstrapped there, roles and all.
    if (Stack.isStack(c) && !Token.isUnresolved(c.account) && !Token.isUnresolved(c.region))
      holding(c.account).regions.add(c.region);
    if (!CfnResource.isCfnResource(c) || !(c.cfnResourceType in IAM_ACCOUNT_QUOTAS)) continue;
    const account = Stack.of(c).account;
    // The estate's config gives every environment a literal account; an env-agnostic stack has no account to count.
    if (Token.isUnresolved(account)) continue;
    holding(account).counts[c.cfnResourceType as IamQuotaType]++;
  }
  return out;
}

/** What an account would hold of a type: the estate's, with its bootstrap in each region and the runbook's. */
export function iamCount(held: IamHolding, type: IamQuotaType): { count: number; bootstrap: number; regions: number } {
  const regions = Math.max(held.regions.size, 1);
  const bootstrap = BOOTSTRAP_HOLDS[type] * regions + RUNBOOK_HOLDS[type];
  return { count: held.counts[type] + bootstrap, bootstrap, regions };
}

export interface IamQuotaFinding {
  readonly account: string;
  readonly type: IamQuotaType;
  /** The estate's own, with the bootstrap stacks'. */
  readonly count: number;
  /** The quota passed: IAM's default, or the most Service Quotas approves automatically. */
  readonly limit: number;
  readonly message: string;
}

/**
 * Accounts where the estate's stacks and the bootstrap stacks (five roles in each region) would hold more than
 * an IAM quota: above the default, deployable once the quota is raised in Service Quotas before the deploy; above
 * what Service Quotas approves automatically, only with a larger quota AWS grants on request, or with the models
 * split over more environments (accounts). Roles the account holds from elsewhere (service-linked roles, IAM
 * Identity Center's permission sets) come on top: the message says so.
 */
export function iamQuotaFindings(
  holdings: Map<string, IamHolding>,
  accountNames: Readonly<Record<string, string>> = {},
): IamQuotaFinding[] {
  const findings: IamQuotaFinding[] = [];
  for (const [account, held] of [...holdings].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const name = accountNames[account] ? `${accountNames[account]} (account ${account})` : `account ${account}`;
    for (const type of Object.keys(IAM_ACCOUNT_QUOTAS) as IamQuotaType[]) {
      const q = IAM_ACCOUNT_QUOTAS[type];
      const { count, bootstrap, regions } = iamCount(held, type);
      const own =
        `${held.counts[type]} of the estate's stacks and ${bootstrap} of its bootstrap in ${regions} ` +
        `region${regions === 1 ? '' : 's'}, before any the account holds from elsewhere`;
      if (count > q.autoApproved) {
        findings.push({
          account,
          type,
          count,
          limit: q.autoApproved,
          message:
            `${name}: ${count} ${q.what} (${own}), above the ${q.autoApproved} that Service Quotas approves ` +
            `automatically ("${q.quotaName}"): deploy only with a larger quota granted by AWS on request, or ` +
            'serve fewer models from this environment and split them over more environments (accounts).',
        });
      } else if (count > q.default) {
        findings.push({
          account,
          type,
          count,
          limit: q.default,
          message:
            `${name}: ${count} ${q.what} (${own}), above IAM's default quota of ${q.default} ` +
            `("${q.quotaName}", up to ${q.autoApproved} approved automatically): raise it in Service Quotas before deploying.`,
        });
      }
    }
  }
  return findings;
}

/**
 * Warns on the first stack of each account under `root` (an environment's stage, once built, before the
 * pipeline synthesizes it) that holds more than an IAM quota: what `cdk synth '**'` prints.
 */
export function warnIamQuotas(root: IConstruct, accountNames: Readonly<Record<string, string>> = {}): void {
  const findings = iamQuotaFindings(iamHoldingsByAccount(root), accountNames);
  const stacks = root.node.findAll().filter((c): c is Stack => Stack.isStack(c));
  for (const f of findings) {
    const first = stacks.find((s) => s.account === f.account);
    // Annotation ids may not hold '::' (CDK reserves it), which every CloudFormation type name does.
    const id = f.type === 'AWS::IAM::Role' ? 'roles' : 'managed-policies';
    if (first) Annotations.of(first).addWarningV2(`estate:iam-quota-${id}`, f.message);
  }
}
