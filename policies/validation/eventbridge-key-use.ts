/**
 * EventBridge delivering to a KMS-encrypted SNS topic or SQS queue (a rule's
 * target or its dead-letter queue) asks KMS for a data key as
 * `events.amazonaws.com` without naming the rule or account it acts for: the
 * SNS Developer Guide ("Managing Amazon SNS encryption keys", section
 * "Enable compatibility between event sources from AWS services and
 * encrypted topics") gives the key statement for EventBridge with no
 * condition and notes that adding `aws:SourceAccount`, `aws:SourceArn` or
 * `aws:SourceOrgID` to a KMS key policy is not supported for
 * EventBridge-to-encrypted-topic delivery; the SQS Developer Guide's
 * counterpart for encrypted queues and the EventBridge User Guide ("Using
 * dead-letter queues to process undelivered events", encrypted queues) give
 * the same unconditioned statement. A source condition there makes the grant
 * never apply, and every event is dropped.
 *
 * The confused deputy stays closed one level up: the topic's and queue's own
 * policies (sns:Publish, sqs:SendMessage) keep `aws:SourceArn`/
 * `aws:SourceAccount`, so EventBridge acting for another account cannot put a
 * message there, and this statement grants only the data-key calls.
 *
 * Event-bus encryption is a different path (it carries the bus ARN in the
 * encryption context and supports `aws:SourceArn`), so a statement with an
 * encryption-context condition is not this form.
 */
export const EVENTBRIDGE_TARGET_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKey*'];

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A key-policy Allow to EventBridge alone for the data-key calls of target delivery (not bus encryption). */
export function isEventBridgeTargetKeyUse(statement: {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  Condition?: unknown;
}): boolean {
  if (statement.Effect !== 'Allow' || typeof statement.Principal !== 'object' || statement.Principal === null)
    return false;
  const principal = statement.Principal as Record<string, unknown>;
  if (Object.keys(principal).join() !== 'Service') return false;
  const services = list(principal.Service);
  if (services.length !== 1 || services[0] !== 'events.amazonaws.com') return false;
  const actions = list(statement.Action);
  if (
    actions.length === 0 ||
    !actions.every((a) => typeof a === 'string' && EVENTBRIDGE_TARGET_KEY_ACTIONS.includes(a))
  )
    return false;
  const keys = Object.values((statement.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap((t) =>
    Object.keys(t ?? {}).map((k) => k.toLowerCase()),
  );
  return !keys.some((k) => k.startsWith('kms:encryptioncontext'));
}

/** The source keys a statement names that KMS never receives from EventBridge target delivery. */
export function unsupportedSourceKeys(statement: { Condition?: unknown }): string[] {
  return Object.values((statement.Condition ?? {}) as Record<string, Record<string, unknown>>)
    .flatMap((t) => Object.keys(t ?? {}))
    .filter((k) =>
      ['aws:sourceaccount', 'aws:sourcearn', 'aws:sourceorgid', 'aws:sourceorgpaths'].includes(k.toLowerCase()),
    );
}
