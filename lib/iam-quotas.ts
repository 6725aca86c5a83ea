import { Annotations, CfnResource, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * IAM's quotas on what one account holds (IAM User Guide, "IAM and AWS STS quotas": roles in an AWS
 * account, 1,000 by default, at most 5,000; customer managed policies in an AWS account, 1,500 by default,
 * at most 5,000). IAM is global: every stack of an account counts, whatever its region.
 */
export const IAM_ACCOUNT_QUOTAS = {
  'AWS::IAM::Role': { what: 'IAM roles', quotaName: 'Roles per account', default: 1000, maximum: 5000 },
  'AWS::IAM::ManagedPolicy': {
    what: 'customer managed policies',
    quotaName: 'Customer managed policies per account',
    default: 1500,
    maximum: 5000,
  },
} as const;

export type IamQuotaType = keyof typeof IAM_ACCOUNT_QUOTAS;

/**
 * What the CDK bootstrap stack holds in every account the estate deploys to: five roles (deploy, CloudFormation
 * execution, file and image publishing, lookup) and no customer managed policy.
 */
export const BOOTSTRAP_HOLDS: Record<IamQuotaType, number> = { 'AWS::IAM::Role': 5, 'AWS::IAM::ManagedPolicy': 0 };

/** How many of each quota-bound type the app's stacks create in each account, by account. */
export function iamHoldingsByAccount(root: IConstruct): Map<string, Record<IamQuotaType, number>> {
  const out = new Map<string, Record<IamQuotaType, number>>();
  for (const c of root.node.findAll()) {
    if (!CfnResource.isCfnResource(c) || !(c.cfnResourceType in IAM_ACCOUNT_QUOTAS)) continue;
    const account = Stack.of(c).account;
    if (Token.isUnresolved(account)) continue;
    const held = out.get(account) ?? { 'AWS::IAM::Role': 0, 'AWS::IAM::ManagedPolicy': 0 };
    held[c.cfnResourceType as IamQuotaType]++;
    out.set(account, held);
  }
  return out;
}

export interface IamQuotaFinding {
  readonly account: string;
  readonly type: IamQuotaType;
  /** The estate's own, with the bootstrap stack's. */
  readonly count: number;
  readonly limit: number;
  readonly message: string;
}

/**
 * Accounts where the estate and the bootstrap stack would hold more than IAM allows: `errors` above the
 * maximum (no quota increase makes the deploy pass: CloudFormation fails the stack that creates the one too
 * many, part-way through the estate), `warnings` above the default (deployable after a quota increase,
 * asked through Service Quotas before the deploy).
 */
export function iamQuotaFindings(
  holdings: Map<string, Record<IamQuotaType, number>>,
  accountNames: Readonly<Record<string, string>> = {},
): { errors: IamQuotaFinding[]; warnings: IamQuotaFinding[] } {
  const errors: IamQuotaFinding[] = [];
  const warnings: IamQuotaFinding[] = [];
  for (const [account, held] of [...holdings].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const name = accountNames[account] ? `${accountNames[account]} (account ${account})` : `account ${account}`;
    for (const type of Object.keys(IAM_ACCOUNT_QUOTAS) as IamQuotaType[]) {
      const q = IAM_ACCOUNT_QUOTAS[type];
      const count = held[type] + BOOTSTRAP_HOLDS[type];
      const own = `${held[type]} ${q.what} of the estate's stacks and ${BOOTSTRAP_HOLDS[type]} of the CDK bootstrap stack`;
      if (count > q.maximum) {
        errors.push({
          account,
          type,
          count,
          limit: q.maximum,
          message:
            `${name}: ${count} ${q.what} (${own}); IAM allows at most ${q.maximum} in one account ` +
            `("${q.quotaName}", not raised past ${q.maximum}), so the deploy would fail part-way. ` +
            'Serve fewer models from this environment, or split them over more environments (accounts).',
        });
      } else if (count > q.default) {
        warnings.push({
          account,
          type,
          count,
          limit: q.default,
          message:
            `${name}: ${count} ${q.what} (${own}), above IAM's default quota of ${q.default} ` +
            `("${q.quotaName}", at most ${q.maximum}): raise it in Service Quotas before deploying.`,
        });
      }
    }
  }
  return { errors, warnings };
}

/**
 * Warns on the first stack of each account under `root` (an environment's stage, once built, before the
 * pipeline synthesizes it) that holds more than an IAM default: what `cdk synth` prints.
 */
export function warnIamQuotas(root: IConstruct, accountNames: Readonly<Record<string, string>> = {}): void {
  const { warnings } = iamQuotaFindings(iamHoldingsByAccount(root), accountNames);
  const stacks = root.node.findAll().filter((c): c is Stack => Stack.isStack(c));
  for (const w of warnings) {
    const first = stacks.find((s) => s.account === w.account);
    // Annotation ids may not hold '::' (CDK reserves it), which every CloudFormation type name does.
    const id = w.type === 'AWS::IAM::Role' ? 'roles' : 'managed-policies';
    if (first) Annotations.of(first).addWarningV2(`estate:iam-quota-${id}`, w.message);
  }
}

/** Fails synthesis of the app when an account would hold more than an IAM maximum, counted over every stack. */
export function validateIamQuotas(app: IConstruct, accountNames: Readonly<Record<string, string>> = {}): void {
  app.node.addValidation({
    validate: () => iamQuotaFindings(iamHoldingsByAccount(app), accountNames).errors.map((e) => e.message),
  });
}
