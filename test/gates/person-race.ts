/**
 * Helpers for the approval gate's race with a person, on moto: a person's UpdateModelPackage, CloudTrail's record of
 * it as EventBridge delivers it (eventTime cut to the second; CloudTrail record contents, AWS CloudTrail User Guide),
 * a SageMaker client that lets a person act right after the gate's n-th DescribeModelPackage, and an SNS client that
 * records what is published. Every call still goes to moto.
 */
import { DescribeModelPackageCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ApiCallEvent, approvalGate } from '../../lambdas/model-approval-gate/handler';
import { settledStatus } from '../../lambdas/deployment-gate/restorations';
import { trailOf } from './trail';
import { ACCOUNT, ApprovalWorld, stateChange } from './world';

export const GATE_ROLE = 'estate-dev-approval-gate';
export const APPROVER = `arn:aws:iam::${ACCOUNT}:role/estate-dev-model-risk-approver`;
const GATE_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/estate/${GATE_ROLE}`;

export interface Call {
  status: 'Approved' | 'Rejected' | 'PendingManualApproval';
  description: string;
  /** When the call was made (the test's clock, like CloudTrail's). */
  at: Date;
  id: string;
  role: string;
}

export const base = (arn: string) => `approval/${arn.split('/').slice(-2).join('/')}/`;
let sequence = 0;

export function personRace(w: ApprovalWorld) {
  // CloudTrail's event history of the world (test/gates/trail.ts): the deployment gate reads it before a gate-written
  // Approved counts; every call below is recorded there as it is made on moto.
  const history = trailOf(w);
  /** The person's UpdateModelPackage, made on moto; returns what CloudTrail would record of it. */
  async function personCall(
    arn: string,
    status: Call['status'],
    description = `model-risk approver: ${status}`,
  ): Promise<Call> {
    const current = await w.describe(arn);
    await new Promise((r) => setTimeout(r, 5));
    const at = new Date();
    await w.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: arn,
        ModelApprovalStatus: status,
        ApprovalDescription: description,
        CustomerMetadataProperties: current.CustomerMetadataProperties,
      }),
    );
    const id = `ct-${++sequence}-${Date.now()}`;
    history.record({
      role: APPROVER,
      at,
      eventId: id,
      requestParameters: { modelPackageArn: arn, modelApprovalStatus: status, approvalDescription: description },
    });
    return { status, description, at, id, role: APPROVER };
  }

  /**
   * An UpdateModelPackage that sets no status (a description edit). In AWS the status and the metadata a call does not
   * name are kept (ModelApprovalStatus is optional, SageMaker API Reference, UpdateModelPackage; metadata is removed
   * only by CustomerMetadataPropertiesToRemove); moto clears both, so they are sent as they are to emulate AWS. Its
   * CloudTrail record carries no status, and the gate skips it.
   */
  async function statuslessEdit(arn: string, description: string): Promise<void> {
    const current = await w.describe(arn);
    await new Promise((r) => setTimeout(r, 5));
    const at = new Date();
    await w.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: arn,
        ModelApprovalStatus: current.ModelApprovalStatus,
        ApprovalDescription: description,
        CustomerMetadataProperties: current.CustomerMetadataProperties,
      }),
    );
    history.record({
      role: APPROVER,
      at,
      requestParameters: { modelPackageArn: arn, approvalDescription: description },
    });
  }

  /** CloudTrail's record of a call, as EventBridge delivers it: eventTime to the second. */
  function trail(
    arn: string,
    call: Pick<Call, 'status' | 'description' | 'at' | 'id' | 'role'>,
    extra: Record<string, unknown> = {},
  ): ApiCallEvent {
    const roleName = call.role.split('/').pop();
    return {
      id: `eb-${call.id}`,
      time: new Date().toISOString(),
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.sagemaker',
      detail: {
        eventSource: 'sagemaker.amazonaws.com',
        eventName: 'UpdateModelPackage',
        eventTime: `${call.at.toISOString().slice(0, 19)}Z`,
        eventID: call.id,
        userIdentity: {
          type: 'AssumedRole',
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/session`,
          sessionContext: { sessionIssuer: { arn: call.role } },
        },
        requestParameters: {
          modelPackageArn: arn,
          modelApprovalStatus: call.status,
          approvalDescription: call.description,
        },
        ...extra,
      },
    };
  }

  /**
   * A SageMaker client that lets a person act right after the gate's n-th DescribeModelPackage, and counts the gate's
   * updates.
   */
  function racing(arn: string, afterDescribe: number, act: () => Promise<void>, failUpdates = 0) {
    const seen = { describes: 0, updates: 0, acted: false, failed: 0 };
    const client = new Proxy(w.sagemaker, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof UpdateModelPackageCommand) {
            seen.updates++;
            if (seen.failed < failUpdates) {
              seen.failed++;
              throw Object.assign(new Error('Rate exceeded'), {
                name: 'ThrottlingException',
                $metadata: { httpStatusCode: 400 },
              });
            }
          }
          const answer = await target.send(command as DescribeModelPackageCommand);
          if (
            command instanceof DescribeModelPackageCommand &&
            command.input.ModelPackageName === arn &&
            ++seen.describes === afterDescribe &&
            !seen.acted
          ) {
            seen.acted = true;
            await act();
          }
          return answer;
        };
      },
    }) as SageMakerClient;
    return { client, seen };
  }

  /** An SNS client that records what is published (and still publishes to moto). */
  function listening() {
    const messages: Array<{ subject?: string; message?: string }> = [];
    const sns = new Proxy(w.sns, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof PublishCommand)
            messages.push({ subject: command.input.Subject, message: command.input.Message });
          return target.send(command as PublishCommand);
        };
      },
    }) as SNSClient;
    return { sns, messages };
  }

  /** The gate decides; the person's call lands inside its window (after the re-read answered). */
  async function raced(arn: string, status: Call['status']) {
    let call: Call | undefined;
    const { client, seen } = racing(arn, 2, async () => {
      call = await personCall(arn, status, `model-risk approver: ${status}, reviewed the evidence`);
    });
    const decided = await approvalGate({
      ...w.deps,
      sagemaker: history.recording(client, GATE_ROLE_ARN),
      roleName: GATE_ROLE,
    })(stateChange(arn));
    if (!seen.acted) throw new Error('the person did not act inside the window');
    return { decided, call: call!, seen };
  }

  const gate = (extra: Partial<Parameters<typeof approvalGate>[0]> = {}) =>
    approvalGate({
      ...w.deps,
      roleName: GATE_ROLE,
      ...extra,
      sagemaker: history.recording(extra.sagemaker ?? w.deps.sagemaker, GATE_ROLE_ARN),
    });
  /** What the deployment gate counts as the package's status (an hour from now unless told: past the settle period). */
  const settled = async (arn: string, now = new Date(Date.now() + 60 * 60_000)) => {
    const [group, version] = arn.split('/').slice(-2);
    return settledStatus(
      { s3: w.s3, recordBucket: w.records, cloudtrail: history.client(), approvalGateRoleName: GATE_ROLE },
      group,
      version,
      await w.describe(arn),
      now,
    );
  };
  return { personCall, statuslessEdit, trail, racing, listening, raced, gate, settled };
}
