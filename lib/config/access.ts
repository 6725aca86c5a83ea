import { z } from 'zod';
import type { ConfigProblem } from './common';
import type { EnvironmentConfig } from './environments';
import type { EstateConfig } from './estate-config';

/**
 * Who may assume each persona and the break-glass role: named principals of
 * the account people sign in from, never the account as a whole. Trusting an
 * account root lets every principal there that can call sts:AssumeRole in (any
 * admin's role, an IAM user an admin mints with a virtual MFA device), so a
 * persona's trust names Identity Center permission sets (the roles Identity
 * Center provisions for them), roles or IAM users, each by name.
 */
export const PERSONAS = ['dataScientist', 'mlEngineer', 'modelRiskApprover', 'auditor', 'breakGlass'] as const;
export type Persona = (typeof PERSONAS)[number];

const PERSONA_ROLE: Record<Persona, string> = {
  dataScientist: 'data scientist',
  mlEngineer: 'ML engineer',
  modelRiskApprover: 'model-risk approver',
  auditor: 'auditor',
  breakGlass: 'break-glass',
};

/** Identity Center permission set names (CreatePermissionSet `Name`). */
const PERMISSION_SET_NAME = /^[\w+=,.@-]{1,32}$/;
/** An IAM role or user name with an optional path, `path/to/Name` (no leading slash). */
const IAM_PATH_NAME = /^([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const IAM_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):(role|user)\/(([\w+=,.@-]+\/)*[\w+=,.@-]{1,64})$/;

const ENTRY_HINT =
  '{ permissionSet: <Identity Center permission set name> }, { role: <role name, path/name, or role ARN> } or { user: <IAM user name> } (an IAM user only with MFA)';

const entrySchema = z.strictObject(
  {
    permissionSet: z
      .string({ error: 'must be the name of an IAM Identity Center permission set, such as ModelRiskApprover' })
      .optional(),
    role: z.string({ error: 'must be an IAM role name (path/name) or role ARN' }).optional(),
    user: z.string({ error: 'must be an IAM user name (path/name) or user ARN' }).optional(),
  },
  { error: `must be one of ${ENTRY_HINT}` },
);

const principalList = (persona: Persona) =>
  z
    .array(entrySchema, {
      error: `must list who may assume the ${PERSONA_ROLE[persona]} role: ${ENTRY_HINT}; the role trusts only the principals named here, never a whole account`,
    })
    .min(1, {
      error: `must name at least one principal allowed to assume the ${PERSONA_ROLE[persona]} role (${ENTRY_HINT})`,
    });

export const accessSchema = z
  .strictObject(
    Object.fromEntries(PERSONAS.map((p) => [p, principalList(p)])) as {
      [K in Persona]: ReturnType<typeof principalList>;
    },
    {
      error: `must be a mapping naming who may assume each persona and break-glass (${PERSONAS.join(', ')}), each a list of ${ENTRY_HINT}: a role trusting a whole account admits any principal there`,
    },
  )
  .describe(
    'Who may assume each persona and break-glass: Identity Center permission sets, roles or IAM users of the account people sign in from',
  );

export type AccessConfig = z.output<typeof accessSchema>;
export type AccessEntry = z.output<typeof entrySchema>;

/**
 * The principals one role of one environment trusts, in the account its
 * people sign in from: `organization.identityAccount`, or the environment's
 * own account when that is not set.
 */
export interface PersonaPrincipals {
  readonly account: string;
  readonly permissionSets: string[];
  /** Role names with their path (`path/Name`, no leading slash). */
  readonly roles: string[];
  /** IAM user names with their path; trusted only with MFA. */
  readonly users: string[];
}

/** Where a config entry points: a name (with path) and, for an ARN, its account. */
function parsePrincipal(value: string, kind: 'role' | 'user'): { name: string; account?: string } | undefined {
  const arn = IAM_ARN.exec(value);
  if (arn) return arn[3] === kind ? { name: arn[4], account: arn[2] } : undefined;
  return IAM_PATH_NAME.test(value) ? { name: value } : undefined;
}

/** The named principals of a persona in an environment (for a config `checkAccessRules` accepts). */
export function personaPrincipals(
  estate: EstateConfig,
  environment: EnvironmentConfig,
  persona: Persona,
): PersonaPrincipals {
  const entries = estate.organization.access[persona];
  return {
    account: estate.organization.identityAccount ?? environment.account,
    permissionSets: entries.flatMap((e) => (e.permissionSet !== undefined ? [e.permissionSet] : [])),
    roles: entries.flatMap((e) => (e.role !== undefined ? [parsePrincipal(e.role, 'role')!.name] : [])),
    users: entries.flatMap((e) => (e.user !== undefined ? [parsePrincipal(e.user, 'user')!.name] : [])),
  };
}

/** A key naming one principal, the same however the config spells it (name or ARN). */
function principalKey(entry: AccessEntry): string | undefined {
  if (entry.permissionSet !== undefined) return `permissionSet:${entry.permissionSet}`;
  if (entry.role !== undefined) return `role:${parsePrincipal(entry.role, 'role')?.name}`;
  if (entry.user !== undefined) return `user:${parsePrincipal(entry.user, 'user')?.name}`;
  return undefined;
}

/**
 * Every entry names exactly one principal, by a form IAM can match exactly: no
 * wildcard, no account root, no ARN of an account the role does not trust.
 * Whoever may approve a model is not also one who builds or deploys it.
 */
export function checkAccessRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const access = config.organization?.access;
  if (!access) return problems; // reported by the schema
  const identity = config.organization.identityAccount;
  const wholeAccount = (what: string) =>
    `${what}: a wildcard or an account root would trust every principal of the account`;
  for (const persona of PERSONAS) {
    (access[persona] ?? []).forEach((entry, i) => {
      const at = `organization.access.${persona}[${i}]`;
      const given = (['permissionSet', 'role', 'user'] as const).filter((k) => entry[k] !== undefined);
      if (given.length !== 1) {
        problems.push({ path: at, value: entry, message: `must name exactly one principal: ${ENTRY_HINT}` });
        return;
      }
      const [kind] = given;
      const value = entry[kind]!;
      if (/[*?]/.test(value) || value.endsWith(':root') || /^\d{12}$/.test(value)) {
        problems.push({
          path: `${at}.${kind}`,
          value,
          message: wholeAccount(`must name one ${kind === 'permissionSet' ? 'permission set' : kind} exactly`),
        });
        return;
      }
      if (kind === 'permissionSet') {
        if (!PERMISSION_SET_NAME.test(value)) {
          problems.push({
            path: `${at}.${kind}`,
            value,
            message: 'must be an IAM Identity Center permission set name: 1-32 letters, digits and +=,.@_-',
          });
        }
        return;
      }
      const parsed = parsePrincipal(value, kind);
      if (!parsed) {
        problems.push({
          path: `${at}.${kind}`,
          value,
          message: `must be an IAM ${kind} name, optionally with its path (path/Name), or the ARN of an IAM ${kind} (arn:aws:iam::<account>:${kind}/...)`,
        });
        return;
      }
      if (parsed.account === undefined && identity === undefined) {
        // Without an identity account the role or user would live in each environment account, whose admin may
        // create, delete and re-create it under that name (the trust matches the name, not the principal's ID)
        // and so become this persona: the approver and break-glass are exempt from guardrails by name.
        problems.push({
          path: `${at}.${kind}`,
          value,
          message: `names a ${kind} of each environment's own account, which that account's admin can create or re-trust: name a permissionSet (its roles are created only by IAM Identity Center), or set organization.identityAccount to the account people sign in to and name the ${kind} there`,
        });
      } else if (parsed.account !== undefined && identity === undefined) {
        problems.push({
          path: `${at}.${kind}`,
          value,
          message: `names account ${parsed.account}, but without organization.identityAccount each environment trusts its own account: set organization.identityAccount (to ${parsed.account} if people sign in there), or name a permissionSet instead`,
        });
      } else if (parsed.account !== undefined && parsed.account !== identity) {
        problems.push({
          path: `${at}.${kind}`,
          value,
          message: `must be a ${kind} of organization.identityAccount (${identity}), the account the roles trust; this ARN names ${parsed.account}`,
        });
      }
    });
  }
  // Maker-checker (SR 11-7 effective challenge): the approver is independent of who builds and deploys models.
  const makers = new Map<string, Persona>();
  for (const persona of ['dataScientist', 'mlEngineer'] as const) {
    for (const entry of access[persona] ?? []) {
      const key = principalKey(entry);
      if (key) makers.set(key, persona);
    }
  }
  (access.modelRiskApprover ?? []).forEach((entry, i) => {
    const key = principalKey(entry);
    const maker = key ? makers.get(key) : undefined;
    if (maker) {
      const kind = key!.split(':')[0];
      problems.push({
        path: `organization.access.modelRiskApprover[${i}].${kind}`,
        value: entry[kind as keyof AccessEntry],
        message: `is also named for ${maker}: whoever approves models must not be one who builds or deploys them (separation of duties)`,
      });
    }
  });
  return problems;
}
