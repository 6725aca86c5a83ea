/**
 * CloudTrail records of role sessions as the IAM User Guide documents them, and a
 * CloudWatch Logs JSON filter pattern evaluator for the alarms that count them.
 */
/**
 * A CloudWatch Logs JSON filter pattern of the form `{ ($.a = "x") && ($.b.c = "y*") }`, evaluated on an event
 * (the form is asserted first, so nothing else can slip through the evaluator): each term a string match, exact
 * and case-sensitive, where a trailing `*` matches any rest ("Using filter patterns to match terms in JSON log
 * events", CloudWatch Logs User Guide: `{ $.sourceIPAddress != 123.123.* }`).
 */
export function matches(pattern: string, event: Record<string, unknown>): boolean {
  const form = /^\{ (\(\$\.[\w.]+ = "[^"*]*\*?"\)( && )?)+ \}$/;
  if (!form.test(pattern)) throw new Error(`not a filter pattern of the expected form: ${pattern}`);
  const terms = [...pattern.matchAll(/\(\$\.([\w.]+) = "([^"]*)"\)/g)].map((m) => [m[1], m[2]] as const);
  const at = (path: string) =>
    path.split('.').reduce<any>((v, k) => (v === undefined || v === null ? undefined : v[k]), event);
  return terms.every(([path, value]) => {
    const found = at(path);
    if (typeof found !== 'string') return false;
    return value.endsWith('*') ? found.startsWith(value.slice(0, -1)) : found === value;
  });
}

/**
 * CloudTrail's record of a session opened by `eventName` for the role `roleArn` as the caller wrote it, the role
 * being the one with unique ID `roleId` (IAM User Guide, "Logging IAM and AWS STS API calls with AWS CloudTrail":
 * `requestParameters.roleArn` is the request's, `responseElements.assumedRoleUser.assumedRoleId` is
 * `<role ID>:<session name>`). A refused call has no `responseElements`.
 */
export const session = (roleArn: string, roleId: string | undefined, eventName = 'AssumeRole') => ({
  eventSource: 'sts.amazonaws.com',
  eventName,
  requestParameters: { roleArn, roleSessionName: 'someone' },
  responseElements: roleId
    ? {
        assumedRoleUser: {
          assumedRoleId: `${roleId}:someone`,
          arn: `arn:aws:sts::${roleArn.split(':')[4]}:assumed-role/${roleArn.split('/').pop()}/someone`,
        },
      }
    : null,
});

/** Spellings of one role's ARN that IAM resolves to the same role (names are not distinguished by case). */
export const spellings = (arn: string) => [
  arn,
  arn.toUpperCase().replace(/^ARN:AWS:IAM::/, 'arn:aws:iam::'),
  arn.replace(/role\/(.*)$/, (_, n: string) => `role/${n.charAt(0).toUpperCase()}${n.slice(1)}`),
];
