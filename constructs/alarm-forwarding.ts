import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { ManagedPolicyRole } from './managed-policy-role';

/** What a forwarded alarm event is: CloudWatch's own state change, nothing a sender makes up. */
export const ALARM_EVENT = { source: 'aws.cloudwatch', detailType: 'CloudWatch Alarm State Change' } as const;

export interface RetrainingAlarmBusProps {
  readonly busName: string;
  /** The environment's ML key (EventBridge may use it: the key policy's EventBridge statement). */
  readonly key: kms.IKey;
  /** The forwarder roles allowed to put events, by exact ARN. */
  readonly senders: readonly string[];
}

/**
 * The receiving side: a bus under the environment's ML key whose policy lets
 * only the named forwarder roles put events, and only CloudWatch alarm state
 * changes (events:source and events:detail-type, the condition keys
 * EventBridge documents for PutEvents to a bus of another account).
 */
export class RetrainingAlarmBus extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: RetrainingAlarmBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: props.busName,
      description:
        "Another environment's retraining alarms (prod's quality, drift and critical-segment alarms), forwarded by its alarm forwarder",
      kmsKey: props.key,
    });
    props.senders.forEach((sender, i) =>
      this.bus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `ForwardedAlarms${i}`,
          principals: [new iam.ArnPrincipal(sender)],
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          // Both keys are multivalued (one value per entry of the PutEvents call); ForAllValues holds for an empty set,
          // so Null requires them.
          conditions: {
            'ForAllValues:StringEquals': {
              'events:source': [ALARM_EVENT.source],
              'events:detail-type': [ALARM_EVENT.detailType],
            },
            Null: { 'events:source': 'false', 'events:detail-type': 'false' },
          },
        }),
      ),
    );
  }
}

export interface AlarmForwardingProps {
  readonly roleName: string;
  /** The environment's ML key: the dead-letter queue. */
  readonly key: kms.IKey;
  /** One rule per model and destination: the alarms (by name, of this account and region) and the bus they go to. */
  readonly routes: ReadonlyArray<{
    readonly id: string;
    readonly alarmNames: readonly string[];
    readonly busArn: string;
  }>;
}

/**
 * The sending side, in prod: a rule per model on the default bus that matches
 * the ALARM state of exactly its retraining alarms and puts the event on the
 * retraining environment's bus, through a role that may put events on those
 * buses only, with retries and a KMS dead-letter queue.
 */
export class AlarmForwarding extends Construct {
  readonly role: ManagedPolicyRole;
  readonly rules: events.Rule[] = [];
  readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: AlarmForwardingProps) {
    super(scope, id);
    const { partition, region, account } = Stack.of(this);
    const busArns = [...new Set(props.routes.map((r) => r.busArn))];
    this.role = new ManagedPolicyRole(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description:
        "Forwards this environment's retraining alarms to the environment that retrains the models, nothing else",
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'PutOnRetrainingBuses', actions: ['events:PutEvents'], resources: busArns }),
    );
    this.deadLetters = new DeadLetterQueue(this, 'Undelivered', {
      encryptionKey: props.key,
      reason:
        'This queue is itself the dead-letter queue of the alarm forwarding rules; an alarm EventBridge could not forward rests here for investigation.',
    });
    for (const route of props.routes) {
      const rule = new events.Rule(this, `Forward-${route.id}`, {
        description: `Forwards the retraining alarms of ${route.id} to ${route.busArn.split('/').pop()}`,
        eventPattern: {
          source: [ALARM_EVENT.source],
          detailType: [ALARM_EVENT.detailType],
          resources: route.alarmNames.map((n) => `arn:${partition}:cloudwatch:${region}:${account}:alarm:${n}`),
          detail: { state: { value: ['ALARM'] } },
        },
      });
      rule.addTarget(
        new targets.EventBus(events.EventBus.fromEventBusArn(this, `Bus-${route.id}`, route.busArn), {
          role: this.role,
          deadLetterQueue: this.deadLetters,
        }),
      );
      this.rules.push(rule);
    }
  }
}
