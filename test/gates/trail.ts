/**
 * CloudTrail's event history for the gates' tests: moto has no LookupEvents, so a small fake answers it behind a real
 * CloudTrailClient (its own serializer, retries and error parsing run; only the HTTP answer is the fake's).
 *
 * What it emulates (AWS CloudTrail API Reference, LookupEvents and Event; AWS CloudTrail User Guide, "CloudTrail record
 * contents"):
 * - JSON 1.1 over POST, `X-Amz-Target: CloudTrail_20131101.LookupEvents`; request members LookupAttributes (one item),
 *   StartTime and EndTime (epoch seconds; "after or at", "before or at"), MaxResults (1 to 50, default 50), NextToken;
 * - the answer: Events, most recent first, each with EventId, EventName, ReadOnly, EventTime, EventSource, Username,
 *   Resources and CloudTrailEvent (the record as a JSON string), and NextToken while more remain;
 * - a record's eventTime is whole seconds; userIdentity of an assumed role names the role as sessionIssuer.arn;
 *   SageMaker's request members appear in requestParameters in camel case;
 * - errors as `{ "__type": ..., "message": ... }` with HTTP 400 (ThrottlingException past two requests a second,
 *   AccessDeniedException without cloudtrail:LookupEvents).
 * Calls are recorded by wrapping a SageMaker client: every UpdateModelPackage that moto accepted through it becomes an
 * event of the identity the wrapper is for. An event may be recorded but not yet in the history (CloudTrail's
 * history is itself filled after the call), or never delivered to EventBridge (that is the approval gate's side).
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import type { ApiCallEvent } from '../../lambdas/model-approval-gate/handler';
import { ACCOUNT, REGION } from './world';

export const APPROVAL_GATE_ROLE_NAME = 'estate-staging-approval-gate';
export const APPROVAL_GATE_ROLE = `arn:aws:iam::${ACCOUNT}:role/estate/${APPROVAL_GATE_ROLE_NAME}`;
export const APPROVER_ROLE = `arn:aws:iam::${ACCOUNT}:role/estate-staging-model-risk-approver`;

export interface TrailCall {
  /** The role that called (its ARN). */
  readonly role: string;
  /** When the call was made; CloudTrail keeps the second. */
  readonly at: Date;
  readonly requestParameters: Record<string, unknown>;
  readonly eventId?: string;
  readonly eventName?: string;
  readonly eventSource?: string;
  readonly errorCode?: string;
  /** `false`: recorded, but not in the event history yet. */
  readonly inHistory?: boolean;
  /** The CloudTrailEvent string as given, instead of the record built from the call (a damaged record). */
  readonly raw?: string;
}

interface Stored {
  readonly id: string;
  readonly time: number;
  readonly name: string;
  readonly source: string;
  readonly username: string;
  readonly record: string;
  inHistory: boolean;
}

export class FakeTrail {
  private readonly events: Stored[] = [];
  /** The id of the last call recorded through a recording client. */
  lastRecorded?: string;
  /** Every LookupEvents request as the fake received it. */
  readonly requests: Array<Record<string, unknown>> = [];
  /** Errors to answer with, one per request, before answering normally again. */
  readonly failures: Array<{ type: string; message: string }> = [];

  /** Records a call as CloudTrail would; returns its event id. */
  record(call: TrailCall): string {
    const id = call.eventId ?? randomUUID();
    const roleName = call.role.split('/').pop()!;
    const eventTime = `${call.at.toISOString().slice(0, 19)}Z`;
    const record = {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLE:${roleName}`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/session`,
        accountId: ACCOUNT,
        sessionContext: { sessionIssuer: { type: 'Role', arn: call.role, accountId: ACCOUNT, userName: roleName } },
      },
      eventTime,
      eventSource: call.eventSource ?? 'sagemaker.amazonaws.com',
      eventName: call.eventName ?? 'UpdateModelPackage',
      awsRegion: REGION,
      requestParameters: call.requestParameters,
      responseElements: call.errorCode ? null : { modelPackageArn: call.requestParameters.modelPackageArn },
      ...(call.errorCode ? { errorCode: call.errorCode, errorMessage: 'failed' } : {}),
      eventID: id,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
    };
    this.events.push({
      id,
      time: Date.parse(eventTime),
      name: record.eventName,
      source: record.eventSource,
      username: roleName,
      record: call.raw ?? JSON.stringify(record),
      inHistory: call.inHistory !== false,
    });
    return id;
  }

  /** The history catches up: a recorded event becomes visible to LookupEvents. */
  deliver(id: string): void {
    const e = this.events.find((x) => x.id === id);
    if (!e) throw new Error(`no event ${id}`);
    e.inHistory = true;
  }

  /** Hides an event from the history (as if it were not there yet). */
  hide(id: string): void {
    const e = this.events.find((x) => x.id === id);
    if (!e) throw new Error(`no event ${id}`);
    e.inHistory = false;
  }

  /** The events of the gate's and people's calls recorded so far (for assertions). */
  recorded(): Array<{ id: string; time: string; role: string; parameters: Record<string, unknown> }> {
    return this.events.map((e) => {
      const r = JSON.parse(e.record);
      return {
        id: e.id,
        time: r.eventTime,
        role: r.userIdentity.sessionContext.sessionIssuer.arn,
        parameters: r.requestParameters,
      };
    });
  }

  /** The event as EventBridge delivers it to the approval gate ("AWS API Call via CloudTrail", detail = the record). */
  delivered(id: string): ApiCallEvent {
    const e = this.events.find((x) => x.id === id);
    if (!e) throw new Error(`no event ${id}`);
    return {
      id: `eb-${id}`,
      time: new Date().toISOString(),
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.sagemaker',
      detail: JSON.parse(e.record),
    };
  }

  /** A SageMaker client whose successful UpdateModelPackage calls are recorded as `role`'s. */
  recording(sagemaker: SageMakerClient, role: string): SageMakerClient {
    return new Proxy(sagemaker, {
      get: (target, prop, receiver) => {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown, ...rest: unknown[]) => {
          const at = new Date();
          const answer = await (target.send as (c: unknown, ...r: unknown[]) => Promise<unknown>)(command, ...rest);
          if (command instanceof UpdateModelPackageCommand) {
            const i = command.input;
            this.lastRecorded = this.record({
              role,
              at,
              requestParameters: {
                modelPackageArn: i.ModelPackageArn,
                ...(i.ModelApprovalStatus !== undefined ? { modelApprovalStatus: i.ModelApprovalStatus } : {}),
                ...(i.ApprovalDescription !== undefined ? { approvalDescription: i.ApprovalDescription } : {}),
                ...(i.CustomerMetadataProperties !== undefined
                  ? { customerMetadataProperties: i.CustomerMetadataProperties }
                  : {}),
              },
            });
          }
          return answer;
        };
      },
    }) as SageMakerClient;
  }

  /** A real CloudTrailClient whose HTTP answers come from this history. */
  client(maxAttempts = 2): CloudTrailClient {
    return new CloudTrailClient({
      region: REGION,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts,
      requestHandler: {
        handle: async (request: { headers: Record<string, string>; body?: unknown }) => ({
          response: this.answer(request),
        }),
      } as never,
    });
  }

  private answer(request: { headers: Record<string, string>; body?: unknown }) {
    const target = Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1] ?? '';
    const body =
      request.body instanceof Uint8Array ? Buffer.from(request.body).toString('utf8') : String(request.body ?? '{}');
    const input = JSON.parse(body) as Record<string, unknown>;
    this.requests.push({ target, ...input });
    const reply = (statusCode: number, body: unknown) => ({
      statusCode,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
      body: Readable.from([Buffer.from(JSON.stringify(body))]),
    });
    const failure = this.failures.shift();
    if (failure) return reply(400, { __type: failure.type, message: failure.message });
    if (target !== 'CloudTrail_20131101.LookupEvents')
      return reply(400, { __type: 'UnknownOperationException', message: target });
    const attributes = (input.LookupAttributes ?? []) as Array<{ AttributeKey: string; AttributeValue: string }>;
    if (attributes.length > 1)
      return reply(400, { __type: 'InvalidLookupAttributesException', message: 'only one lookup attribute' });
    const max = input.MaxResults === undefined ? 50 : Number(input.MaxResults);
    if (!(max >= 1 && max <= 50)) return reply(400, { __type: 'InvalidMaxResultsException', message: String(max) });
    const start = input.StartTime === undefined ? -Infinity : Number(input.StartTime) * 1000;
    const end = input.EndTime === undefined ? Infinity : Number(input.EndTime) * 1000;
    if (start > end) return reply(400, { __type: 'InvalidTimeRangeException', message: 'start after end' });
    const [attribute] = attributes;
    const matching = this.events
      .filter((e) => e.inHistory && e.time >= start && e.time <= end)
      .filter(
        (e) =>
          !attribute ||
          (attribute.AttributeKey === 'EventName'
            ? e.name === attribute.AttributeValue
            : attribute.AttributeKey === 'EventSource'
              ? e.source === attribute.AttributeValue
              : attribute.AttributeKey === 'EventId'
                ? e.id === attribute.AttributeValue
                : false),
      )
      .sort((a, b) => b.time - a.time);
    const offset =
      input.NextToken === undefined ? 0 : Number(Buffer.from(String(input.NextToken), 'base64').toString());
    if (!Number.isInteger(offset) || offset < 0)
      return reply(400, { __type: 'InvalidNextTokenException', message: 'bad token' });
    const page = matching.slice(offset, offset + max);
    return reply(200, {
      Events: page.map((e) => ({
        EventId: e.id,
        EventName: e.name,
        ReadOnly: 'false',
        EventTime: e.time / 1000,
        EventSource: e.source,
        Username: e.username,
        Resources: [],
        CloudTrailEvent: e.record,
      })),
      ...(offset + max < matching.length ? { NextToken: Buffer.from(String(offset + max)).toString('base64') } : {}),
    });
  }
}

const trails = new WeakMap<object, FakeTrail>();
/** The one history of a world (its gate's and people's calls). */
export function trailOf(world: object): FakeTrail {
  let t = trails.get(world);
  if (!t) trails.set(world, (t = new FakeTrail()));
  return t;
}
