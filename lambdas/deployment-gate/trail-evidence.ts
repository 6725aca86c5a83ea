/**
 * CloudTrail's event history of one approval-gate write's race window: the evidence the deployment gate needs before a
 * gate-written Approved counts.
 *
 * The person record a crossing call leaves exists only if CloudTrail's event reaches EventBridge, which is best effort
 * (EventBridge User Guide, "Events from AWS services": "in some rare cases an event might not be delivered"). So the
 * absence of a record proves nothing. CloudTrail's event history is read instead (LookupEvents, AWS CloudTrail API
 * Reference):
 * - one lookup attribute per request (`EventName` = UpdateModelPackage here), StartTime and EndTime inclusive ("after
 *   or at", "before or at"), at most 50 events a page, most recent first, `NextToken` until there is none;
 * - management events of the last 90 days of the Region only;
 * - two requests a second per account and Region ("If this limit is exceeded, a throttling error occurs");
 * - each event's `CloudTrailEvent` is the record as a JSON string (userIdentity, eventTime to the second, eventSource,
 *   requestParameters, errorCode, eventID).
 * The window holds when the history has the gate's own UpdateModelPackage for that write (so the history covers the
 * window: it is not a history still being filled) and no other identity's status-setting call on the package in it
 * that the approval gate has not settled. SageMaker's request members are read in CloudTrail's camel case and in the
 * API's own Pascal case, as the approval gate reads them.
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { errorText } from '../shared/s3-objects';
import { visible } from '../shared/strict-json';

/** Pages read at most: 50 events each, a window of a few seconds holds far fewer UpdateModelPackage calls. */
export const MAX_HISTORY_PAGES = 20;
/** How far back LookupEvents reaches (AWS CloudTrail API Reference, LookupEvents). */
export const HISTORY_DAYS = 90;

/** A status-setting UpdateModelPackage on the package, by someone other than the approval gate. */
export interface WindowCall {
  readonly eventId: string;
  readonly eventTime: string;
  readonly identity: string;
  readonly status: string;
}

export type WindowEvidence =
  | {
      readonly ok: true;
      readonly gateEvent: string;
      readonly from: string;
      readonly to: string;
      readonly others: readonly WindowCall[];
      readonly events: number;
    }
  | { readonly ok: false; readonly reason: string };

export interface WindowQuery {
  readonly packageArn: string;
  /** The approval gate's role name (its calls are `role/<path>/<name>`). */
  readonly gateRoleName: string;
  /**
   * The status the gate's write set, and its `gate-write` mark (the gate's own call carries it; unknown once removed).
   */
  readonly gateStatus: string;
  readonly mark: string | undefined;
  /** The window, already widened by the clocks' allowance. */
  readonly from: Date;
  readonly to: Date;
  readonly now: Date;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Every UpdateModelPackage call CloudTrail's history holds on the package between `from` and `to` (whole seconds,
 * inclusive): whether the gate's own call for the write is among them, and the other identities' status-setting calls.
 */
export async function windowEvidence(cloudtrail: CloudTrailClient, q: WindowQuery): Promise<WindowEvidence> {
  // The request's times are whole seconds; the window is widened outward to them.
  const from = new Date(Math.floor(q.from.getTime() / 1000) * 1000);
  const to = new Date(Math.ceil(q.to.getTime() / 1000) * 1000);
  const span = `${from.toISOString()} to ${to.toISOString()}`;
  if (q.now.getTime() - from.getTime() >= HISTORY_DAYS * 86_400_000) {
    return {
      ok: false,
      reason: `the approval gate's write is older than the ${HISTORY_DAYS} days CloudTrail's event history keeps, so whether a person's call crossed it (${span}) cannot be read: a person approves it again`,
    };
  }
  let gateEvent: string | undefined;
  const others: WindowCall[] = [];
  let events = 0;
  let token: string | undefined;
  let pages = 0;
  try {
    do {
      if (++pages > MAX_HISTORY_PAGES) {
        return {
          ok: false,
          reason: `CloudTrail's event history holds more than ${MAX_HISTORY_PAGES * 50} UpdateModelPackage calls from ${span}: not read to the end, so a person's call inside the approval gate's window cannot be ruled out`,
        };
      }
      const page = await cloudtrail.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'UpdateModelPackage' }],
          StartTime: from,
          EndTime: to,
          MaxResults: 50,
          NextToken: token,
        }),
      );
      for (const e of page.Events ?? []) {
        events++;
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(String(e.CloudTrailEvent)) as Record<string, unknown>;
        } catch {
          return {
            ok: false,
            reason: `CloudTrail event ${visible(String(e.EventId)).slice(0, 64)} in ${span} is not readable JSON, so whose call it was cannot be told`,
          };
        }
        if (record === null || typeof record !== 'object')
          return {
            ok: false,
            reason: `CloudTrail event ${visible(String(e.EventId)).slice(0, 64)} in ${span} holds no record`,
          };
        if (record.eventSource !== 'sagemaker.amazonaws.com' || record.eventName !== 'UpdateModelPackage') continue;
        if (record.errorCode) continue; // a failed call changed nothing
        const params = (record.requestParameters ?? {}) as Record<string, unknown>;
        const param = (name: string) => params[name] ?? params[name[0].toUpperCase() + name.slice(1)];
        const arn = str(param('modelPackageArn'));
        // As the approval gate keys its person records: letters, digits, '_' and '-' only.
        const eventId = String(record.eventID ?? e.EventId)
          .replace(/[^\w-]/g, '_')
          .slice(0, 64);
        if (arn === undefined) {
          return {
            ok: false,
            reason: `CloudTrail event ${eventId} in ${span} (an UpdateModelPackage) names no package, so whether it is this package's cannot be told`,
          };
        }
        if (arn !== q.packageArn) continue; // another package's call
        const who = (record.userIdentity ?? {}) as {
          arn?: unknown;
          sessionContext?: { sessionIssuer?: { arn?: unknown } };
        };
        const identity = str(who.sessionContext?.sessionIssuer?.arn) ?? str(who.arn) ?? 'unknown';
        const status = param('modelApprovalStatus');
        const eventTime = str(record.eventTime) ?? (e.EventTime ? new Date(e.EventTime).toISOString() : 'unknown');
        const metadata = (param('customerMetadataProperties') ?? undefined) as Record<string, unknown> | undefined;
        if (/:role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(identity)?.[1] === q.gateRoleName) {
          // The gate's own call for this write: its status, and its mark where CloudTrail keeps the metadata sent.
          const marked = metadata?.['gate-write'];
          if (status === q.gateStatus && (marked === undefined || q.mark === undefined || marked === q.mark))
            gateEvent = eventId;
          continue;
        }
        // A call that sets no status (a description or metadata edit) overwrites no decision.
        if (status === undefined || status === null) continue;
        others.push({
          eventId,
          eventTime,
          identity: visible(identity).slice(0, 300),
          status: visible(String(status)).slice(0, 40),
        });
      }
      token = page.NextToken;
    } while (token);
  } catch (e) {
    return {
      ok: false,
      reason: `CloudTrail's event history of ${span} could not be read (${errorText(e)}), so whether a person's call crossed the approval gate's write is unknown`,
    };
  }
  if (!gateEvent) {
    return {
      ok: false,
      reason: `CloudTrail's event history of ${span} holds no UpdateModelPackage of the approval gate's setting ${q.gateStatus} on the package (${events} UpdateModelPackage event(s) read): the history does not cover the window yet, so a person's call inside it cannot be ruled out`,
    };
  }
  return { ok: true, gateEvent, from: from.toISOString(), to: to.toISOString(), others, events };
}
