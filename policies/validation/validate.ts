import {
  FoundPolicyDocument,
  PolicyDocumentLocation,
  PolicyKind,
  PolicyStatementJson,
  statementsOf,
} from './policy-documents';
import {
  actionDetails,
  actionSupportsKey,
  expandAction,
  globalConditionKey,
  isDeprecated,
  SarConditionKey,
  serviceConditionKey,
  serviceExists,
} from './service-authorization';
import { isEventBridgeTargetKeyUse, unsupportedSourceKeys } from './eventbridge-key-use';

/**
 * Checks a policy document against the Service Authorization Reference the
 * way IAM evaluates it:
 *
 * - every action exists (a wildcard matches at least one);
 * - every condition key exists, is not deprecated, and is in the request
 *   context of every action its statement applies to: where it is absent, a
 *   `Null: true` or negated test is always true and a positive test never is
 *   (IAM User Guide, "Condition operators": "If the key that you specify in a
 *   policy condition is not present in the request context, the values do not
 *   match and the condition is false", except `...IfExists`, negated
 *   operators and `Null`), so the statement always or never applies there;
 * - the operator suits the key's type (Bool on a boolean, set operators on
 *   multivalued keys);
 * - an Allow to a service principal names the source (`aws:SourceAccount`,
 *   `aws:SourceArn`, ...) against the confused deputy, and an Allow to `*`
 *   is limited by a principal or source condition.
 */

export type ProblemCode =
  | 'unknown-service'
  | 'unknown-action'
  | 'unknown-condition-key'
  | 'deprecated-condition-key'
  | 'condition-key-absent-for-action'
  | 'operator-type-mismatch'
  | 'unknown-operator'
  | 'service-principal-without-source'
  | 'source-condition-never-sent'
  | 'open-principal'
  | 'open-action';

export interface PolicyProblem {
  readonly code: ProblemCode;
  readonly message: string;
  readonly location: PolicyDocumentLocation;
  readonly kind: PolicyKind;
  readonly statement: { readonly index: number; readonly sid?: string };
}

/** Condition keys that tie a service principal's request to the estate's own resource or account. */
const SOURCE_KEYS = ['aws:sourceaccount', 'aws:sourcearn', 'aws:sourceorgid', 'aws:sourceorgpaths'];
/** Condition keys that limit an Allow to `*` to known principals, networks or sources. */
const PRINCIPAL_LIMITING_KEYS = [
  'aws:principalaccount',
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:principalarn',
  'aws:sourcevpce',
  'aws:sourcevpc',
  ...SOURCE_KEYS,
  // KMS: the caller is the key's own account through a named AWS service.
  'kms:callerAccount'.toLowerCase(),
];

const BASE_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
]);

interface ParsedOperator {
  readonly base: string;
  readonly ifExists: boolean;
  readonly set?: 'ForAnyValue' | 'ForAllValues';
}

export function parseOperator(operator: string): ParsedOperator | undefined {
  let rest = operator;
  let set: ParsedOperator['set'];
  const m = /^(ForAnyValue|ForAllValues):(.+)$/.exec(rest);
  if (m) {
    set = m[1] as ParsedOperator['set'];
    rest = m[2];
  }
  const ifExists = rest.endsWith('IfExists') && rest !== 'Null';
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  if (!BASE_OPERATORS.has(base) || (base === 'Null' && (ifExists || set))) return undefined;
  return { base, ifExists, set };
}

/** How a condition test evaluates when its key is not in the request context. */
export function valueWhenKeyAbsent(operator: ParsedOperator, values: unknown): boolean {
  if (operator.base === 'Null') return [values].flat().map(String).includes('true');
  if (operator.ifExists) return true;
  if (operator.set === 'ForAllValues') return true;
  if (operator.set === 'ForAnyValue') return false;
  return /Not/.test(operator.base);
}

const TYPE_FAMILIES: Record<string, string[]> = {
  String: ['String', 'ARN', 'ArrayOfString', 'ArrayOfARN'],
  Arn: ['ARN', 'String', 'ArrayOfARN', 'ArrayOfString'],
  Numeric: ['Numeric', 'Long', 'Integer', 'ArrayOfNumeric', 'ArrayOfLong'],
  Date: ['Date', 'ArrayOfDate'],
  Bool: ['Bool', 'Boolean', 'ArrayOfBool'],
  Binary: ['Binary'],
  IpAddress: ['IPAddress', 'ArrayOfIPAddress', 'String'],
  NotIpAddress: ['IPAddress', 'ArrayOfIPAddress', 'String'],
};

function operatorFamily(base: string): string | undefined {
  return Object.keys(TYPE_FAMILIES).find((f) => base.startsWith(f));
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function validatePolicyDocument(found: FoundPolicyDocument): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  statementsOf(found.document).forEach((statement, index) => {
    const report = (code: ProblemCode, message: string) =>
      problems.push({
        code,
        message,
        location: found.location,
        kind: found.kind,
        statement: { index, ...(statement.Sid ? { sid: statement.Sid } : {}) },
      });
    const where = `statement ${statement.Sid ?? index}`;
    const actions = checkActions(statement, report, where);
    checkConditions(statement, actions, report, where);
    checkPrincipals(statement, found.kind, report, where);
  });
  return problems;
}

export function validatePolicyDocuments(documents: readonly FoundPolicyDocument[]): PolicyProblem[] {
  return documents.flatMap(validatePolicyDocument);
}

type Report = (code: ProblemCode, message: string) => void;

interface CoveredAction {
  readonly action: string;
  /** Named in the policy, rather than matched by a wildcard. */
  readonly explicit: boolean;
}

/**
 * The concrete actions a statement's `Action` covers (empty for `NotAction` or `*`, where no per-action check applies).
 */
function checkActions(statement: PolicyStatementJson, report: Report, where: string): CoveredAction[] {
  const covered: CoveredAction[] = [];
  const listed = [
    ...asList(statement.Action).map((a) => ['Action', a] as const),
    ...asList(statement.NotAction).map((a) => ['NotAction', a] as const),
  ];
  for (const [element, action] of listed) {
    if (typeof action !== 'string') continue; // an intrinsic: resolved only at deploy time
    if (action === '*') continue;
    const service = action.split(':')[0];
    if (!serviceExists(service)) {
      report(
        'unknown-service',
        `${where}: ${element} ${action}: no service "${service}" in the Service Authorization Reference`,
      );
      continue;
    }
    const expanded = expandAction(action);
    if (expanded.length === 0) {
      report(
        'unknown-action',
        `${where}: ${element} ${action} matches no action of ${service} in the Service Authorization Reference`,
      );
      continue;
    }
    if (element === 'Action')
      covered.push(...expanded.map((a) => ({ action: a, explicit: !action.includes('*') && !action.includes('?') })));
  }
  return covered;
}

/**
 * Global keys the reference lists per action and resource type (tags): absent
 * where an action has no taggable resource.
 */
const GLOBAL_KEYS_LISTED_PER_ACTION = /^aws:(ResourceTag|RequestTag)\/|^aws:TagKeys$/i;

function checkConditions(
  statement: PolicyStatementJson,
  actions: CoveredAction[],
  report: Report,
  where: string,
): void {
  const effect = statement.Effect === 'Deny' ? 'Deny' : 'Allow';
  for (const [operatorName, tests] of Object.entries(statement.Condition ?? {})) {
    const operator = parseOperator(operatorName);
    if (!operator) {
      report('unknown-operator', `${where}: condition operator ${operatorName} does not exist`);
      continue;
    }
    for (const [key, values] of Object.entries(tests ?? {})) {
      const isGlobal = key.toLowerCase().startsWith('aws:');
      const details: SarConditionKey | undefined = isGlobal ? globalConditionKey(key) : serviceConditionKey(key);
      if (!details) {
        report('unknown-condition-key', `${where}: condition key ${key} is not in the Service Authorization Reference`);
        continue;
      }
      if (isDeprecated(details))
        report('deprecated-condition-key', `${where}: condition key ${key} is deprecated: ${details.description}`);
      const family = operatorFamily(operator.base);
      if (family && !TYPE_FAMILIES[family].includes(details.type)) {
        report('operator-type-mismatch', `${where}: ${operatorName} on ${key}, whose type is ${details.type}`);
      }
      if (details.type.startsWith('ArrayOf') && operator.base !== 'Null' && !operator.set) {
        report(
          'operator-type-mismatch',
          `${where}: ${key} is multivalued (${details.type}): use ForAnyValue: or ForAllValues: with ${operatorName}`,
        );
      }
      // IAM User Guide, "Single-valued vs. multivalued context keys": ForAllValues is true when the key
      // is absent, so on a single-valued key it limits nothing. (ForAnyValue on one behaves as the plain
      // operator, false when absent: aws-cdk-lib writes it, and it is not reported.)
      if (!details.type.startsWith('ArrayOf') && operator.set === 'ForAllValues') {
        report(
          'operator-type-mismatch',
          `${where}: ${operatorName} on ${key}, a single-valued key (${details.type}): it is true when the key is absent, so the condition limits nothing; use ${operatorName.split(':')[1]}`,
        );
      }
      if (isGlobal && !GLOBAL_KEYS_LISTED_PER_ACTION.test(key)) continue; // other global keys: not listed per action
      const holds = valueWhenKeyAbsent(operator, values);
      // A wildcard naturally reaches actions that lack the key: that is only a
      // problem where it makes a Deny always apply or an Allow unconditional.
      const absentFor = actions
        .filter((a) => a.explicit || holds)
        .map((a) => a.action)
        .filter((a) => {
          const [service, name] = a.split(':');
          const action = actionDetails(service, name);
          return action !== undefined && !actionSupportsKey(service, action, key);
        });
      if (absentFor.length > 0) {
        const consequence =
          effect === 'Deny'
            ? holds
              ? 'the deny always applies to'
              : 'the deny never applies to'
            : holds
              ? 'the allow is unconditional for'
              : 'the allow never grants';
        report(
          'condition-key-absent-for-action',
          `${where}: ${key} is not in the request context of ${absentFor.join(', ')}, so ${operatorName} is ${holds} there and ${consequence} ${absentFor.length === 1 ? 'it' : 'them'}`,
        );
      }
    }
  }
}

/**
 * Keys of the statement's condition that limit who or what matches: a
 * positive test (equals or like, not IfExists, not a set operator, not Null)
 * against at least one value that is not wildcards only. `Null false`,
 * `StringNotEquals` or `StringLike "*"` on aws:PrincipalAccount admit every
 * account; `ForAllValues` is true when the key is absent.
 */
function limitingKeys(statement: PolicyStatementJson): string[] {
  const keys: string[] = [];
  for (const [operatorName, tests] of Object.entries(statement.Condition ?? {})) {
    const operator = parseOperator(operatorName);
    if (
      !operator ||
      operator.ifExists ||
      operator.set ||
      !/^(String|Arn)(Equals|Like)(IgnoreCase)?$/.test(operator.base)
    )
      continue;
    for (const [key, values] of Object.entries(tests ?? {})) {
      if (asList(values).some((v) => typeof v !== 'string' || !/^[*?]*$/.test(v))) keys.push(key.toLowerCase());
    }
  }
  return keys;
}

function checkPrincipals(statement: PolicyStatementJson, kind: PolicyKind, report: Report, where: string): void {
  if (statement.Effect === 'Allow' && statement.NotAction !== undefined && asList(statement.Resource).includes('*')) {
    report(
      'open-action',
      `${where}: allows every action but ${asList(statement.NotAction).join(', ')} on every resource (an administrator grant in disguise)`,
    );
  }
  if (statement.Effect === 'Allow' && statement.NotPrincipal !== undefined) {
    report(
      'open-principal',
      `${where}: Allow with NotPrincipal allows every principal but the ones named, anonymous ones included`,
    );
  }
  if (statement.Effect !== 'Allow' || statement.Principal === undefined) return;
  const conditionKeys = limitingKeys(statement);
  const principal = statement.Principal as Record<string, unknown> | string;
  if (principal === '*' || asList((principal as Record<string, unknown>).AWS).includes('*')) {
    if (!conditionKeys.some((k) => PRINCIPAL_LIMITING_KEYS.includes(k))) {
      report(
        'open-principal',
        `${where}: allows any principal with no condition on the principal's account, organization, network or source`,
      );
    }
  }
  if (typeof principal === 'object' && isEventBridgeTargetKeyUse(statement)) {
    // The documented form has no source condition; one that names a source never applies (see eventbridge-key-use.ts).
    const unsent = unsupportedSourceKeys(statement);
    if (unsent.length > 0) {
      report(
        'source-condition-never-sent',
        `${where}: EventBridge does not send ${unsent.join(', ')} to KMS when it delivers to an encrypted topic or queue (SNS Developer Guide, "Managing Amazon SNS encryption keys"), so this grant never applies and every event is dropped`,
      );
    }
    return;
  }
  if (typeof principal === 'object') {
    for (const service of asList(principal.Service)) {
      if (typeof service !== 'string') continue;
      if (conditionKeys.some((k) => SOURCE_KEYS.includes(k)) || sourceScopedByEncryptionContext(statement, service))
        continue;
      report(
        'service-principal-without-source',
        `${where}: allows ${service} with no aws:SourceAccount or aws:SourceArn condition (confused deputy${kind === 'trust' ? ": any account's use of the service could assume the role" : ''})`,
      );
    }
  }
}

/**
 * CloudWatch Logs uses a key on behalf of a log group and names it in the
 * encryption context (`kms:EncryptionContext:aws:logs:arn`), which AWS
 * documents as the way to tie the key to one account's log groups.
 */
function sourceScopedByEncryptionContext(statement: PolicyStatementJson, service: string): boolean {
  if (!service.startsWith('logs.')) return false;
  return Object.values(statement.Condition ?? {}).some((tests) =>
    Object.keys(tests ?? {}).some((k) => k.toLowerCase() === 'kms:encryptioncontext:aws:logs:arn'),
  );
}
