import { Stack } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as guardduty from 'aws-cdk-lib/aws-guardduty';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../policies/acknowledge';
import { securityHubStandardArn } from './aws-facts';
import { roleNamedEventPattern } from './role-assumption-alarm';
import { DeadLetterQueue } from './dead-letter-queue';
import { ManagedPolicyRole } from './managed-policy-role';

/** Construct metadata type that records who runs an account's detective controls. */
export const DETECTIVE_CONTROLS_METADATA = 'estate:detective-controls';

export interface DetectiveControlsProps {
  /** Key of the findings topic (and of the bucket Config delivers to). */
  readonly key: kms.IKey;
  /** Bucket Config delivers snapshots and history to, under `config/`. */
  readonly deliveryBucket: s3.IBucket;
  /**
   * Record IAM and other global resources here (one region per account should).
   * @default true
   */
  readonly recordGlobalResources?: boolean;
  /**
   * The account's GuardDuty detector, Config recorder and Security Hub exist
   * already, run by the organization (Control Tower, a landing zone, a delegated
   * administrator): adopt them rather than create them, which would fail (one of
   * each per account and region). The findings alerting is wired either way:
   * GuardDuty and Security Hub also publish a member account's findings to
   * EventBridge in that account.
   * @default - none: this construct creates them
   */
  readonly inheritedFrom?: { readonly administratorAccount?: string };
  /**
   * Who receives the findings: subscribed to the findings topic. An e-mail or
   * cross-account SQS subscription stays pending until its owner confirms it.
   * @default - none: the topic has no subscriber and the alerts reach no one
   */
  readonly alertSubscription?: { readonly protocol: 'email' | 'https' | 'sqs' | 'lambda'; readonly endpoint: string };
  /**
   * The other regions whose Security Hub findings this region's hub aggregates
   * (a finding aggregator: one per account, in the home region). Their findings
   * then reach the Security Hub rule here.
   * @default - none
   */
  readonly linkedRegions?: readonly string[];
}

/** GuardDuty findings that alert: severity 7 (high) and above. */
export const GUARDDUTY_ALERT_PATTERN: events.EventPattern = {
  source: ['aws.guardduty'],
  detailType: ['GuardDuty Finding'],
  detail: { severity: [{ numeric: ['>=', 7] }] },
};
/** Security Hub findings that alert: high or critical, new or updated. */
export const SECURITY_HUB_ALERT_PATTERN: events.EventPattern = {
  source: ['aws.securityhub'],
  detailType: ['Security Hub Findings - Imported'],
  detail: { findings: { Severity: { Label: ['HIGH', 'CRITICAL'] }, Workflow: { Status: ['NEW'] } } },
};

/**
 * Detective controls of an account and region: GuardDuty, Security Hub with
 * the AWS Foundational Security Best Practices and NIST 800-53 R5 standards,
 * AWS Config recording every supported resource type, and high-severity
 * findings of GuardDuty and Security Hub routed to a KMS-encrypted topic.
 * The organization's SCPs keep them from being switched off. Where the
 * organization already runs the first three (`inheritedFrom`), only the
 * alerting is built.
 */
export class DetectiveControls extends Construct {
  readonly findings: sns.Topic;
  readonly undelivered: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: DetectiveControlsProps) {
    super(scope, id);
    const { region, account, partition } = Stack.of(this);
    // Read by the compliance evidence: which controls this account has, and who runs them.
    this.node.addMetadata(
      DETECTIVE_CONTROLS_METADATA,
      props.inheritedFrom ? { source: 'organization', ...props.inheritedFrom } : { source: 'estate' },
    );
    if (!props.inheritedFrom)
      enableDetectiveServices(
        this,
        {
          key: props.key,
          deliveryBucket: props.deliveryBucket,
          recordGlobalResources: props.recordGlobalResources,
          linkedRegions: props.linkedRegions,
        },
        { region, account, partition },
      );
    this.findings = new sns.Topic(this, 'Findings', {
      displayName: 'Security findings (high and critical)',
      masterKey: props.key,
      enforceSSL: true,
    });
    // EventBridge encrypts the findings it publishes here and the ones it parks in the dead-letter queue
    // below with this key. KMS receives no source from that path, so the statement AWS documents has no
    // condition (SNS Developer Guide, "Managing Amazon SNS encryption keys"; EventBridge User Guide,
    // "Using dead-letter queues to process undelivered events"); the topic and queue policies keep the
    // rule's aws:SourceArn, so no other account's rule can deliver here.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToPublishFindings',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
    if (props.alertSubscription) {
      const protocol = {
        email: sns.SubscriptionProtocol.EMAIL,
        https: sns.SubscriptionProtocol.HTTPS,
        sqs: sns.SubscriptionProtocol.SQS,
        lambda: sns.SubscriptionProtocol.LAMBDA,
      }[props.alertSubscription.protocol];
      const subscription = new sns.Subscription(this, 'SecurityTeam', {
        topic: this.findings,
        protocol,
        endpoint: props.alertSubscription.endpoint,
      });
      acknowledgeFindings(
        subscription,
        ['Serverless-SNSRedrivePolicy'],
        "The security team's own endpoint: SNS retries it under its delivery policy, and a dead-letter queue on the audit key would need a key grant to sns.amazonaws.com whose source condition SNS is not documented to send to KMS (the EventBridge grant above shows that case); findings also stay in GuardDuty and Security Hub.",
      );
    }
    // Findings EventBridge could not deliver rest here rather than being lost.
    const undelivered = (this.undelivered = new DeadLetterQueue(this, 'UndeliveredFindings', {
      encryptionKey: props.key,
      reason:
        'This queue is itself the dead-letter queue of the findings rules; undelivered findings rest here for investigation.',
    }));
    const toTopic = () => new targets.SnsTopic(this.findings, { deadLetterQueue: undelivered, retryAttempts: 8 });
    new events.Rule(this, 'GuardDutyFindings', {
      description: 'GuardDuty findings of severity 7 and above',
      eventPattern: GUARDDUTY_ALERT_PATTERN,
      targets: [toTopic()],
    });
    new events.Rule(this, 'SecurityHubFindings', {
      description: 'Security Hub findings of high or critical severity, new or updated',
      eventPattern: SECURITY_HUB_ALERT_PATTERN,
      targets: [toTopic()],
    });
  }
}

/** What GuardDuty, Security Hub and Config of one account and region need. */
interface DetectiveServicesProps {
  readonly key: kms.IKey;
  readonly deliveryBucket: s3.IBucket;
  readonly recordGlobalResources?: boolean;
  readonly linkedRegions?: readonly string[];
}

/**
 * GuardDuty, Security Hub and its standards (and the finding aggregator, if linking regions), and the Config recorder
 * delivering to the bucket.
 */
function enableDetectiveServices(
  scope: Construct,
  props: DetectiveServicesProps,
  { region, account, partition }: { region: string; account: string; partition: string },
): void {
  new guardduty.CfnDetector(scope, 'GuardDuty', {
    enable: true,
    findingPublishingFrequency: 'FIFTEEN_MINUTES',
    features: [
      { name: 'S3_DATA_EVENTS', status: 'ENABLED' },
      {
        name: 'RUNTIME_MONITORING',
        status: 'ENABLED',
        additionalConfiguration: [{ name: 'EC2_AGENT_MANAGEMENT', status: 'ENABLED' }],
      },
      { name: 'LAMBDA_NETWORK_LOGS', status: 'ENABLED' },
    ],
  });

  const hub = new securityhub.CfnHub(scope, 'SecurityHub', {
    enableDefaultStandards: false,
    controlFindingGenerator: 'SECURITY_CONTROL',
  });
  for (const [standardId, arn] of [
    [
      'FoundationalBestPractices',
      securityHubStandardArn(partition, region, 'aws-foundational-security-best-practices/v/1.0.0'),
    ],
    ['Nist80053', securityHubStandardArn(partition, region, 'nist-800-53/v/5.0.0')],
  ]) {
    new securityhub.CfnStandard(scope, standardId, { standardsArn: arn }).addResourceDependency(hub);
  }
  if (props.linkedRegions && props.linkedRegions.length > 0) {
    // Findings of the other allowed regions are replicated here (Security Hub User Guide, "Cross-Region aggregation").
    new securityhub.CfnFindingAggregator(scope, 'FindingAggregator', {
      regionLinkingMode: 'SPECIFIED_REGIONS',
      regions: [...props.linkedRegions],
    }).addResourceDependency(hub);
  }

  const recorderRole = new ManagedPolicyRole(scope, 'ConfigRole', {
    assumedBy: new iam.ServicePrincipal('config.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }),
    description: 'AWS Config recorder: reads resource configuration, delivers to the audit bucket',
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWS_ConfigRole')],
  });
  acknowledgeFindings(
    recorderRole,
    ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole]'],
    'AWS maintains the read permissions Config needs for every resource type it records; a hand-written copy would fall behind new types.',
  );
  const prefix = 'config';
  recorderRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'DeliverToTheAuditBucket',
      actions: ['s3:PutObject'],
      resources: [props.deliveryBucket.arnForObjects(`${prefix}/AWSLogs/${account}/*`)],
    }),
  );
  recorderRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'CheckTheBucket',
      actions: ['s3:GetBucketAcl'],
      resources: [props.deliveryBucket.bucketArn],
    }),
  );
  recorderRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'EncryptDeliveries',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [props.key.keyArn],
    }),
  );
  acknowledgeFindings(
    recorderRole.permissionsPolicy!,
    [
      `AwsSolutions-IAM5[Resource::<${Stack.of(scope).resolve((props.deliveryBucket.node.defaultChild as s3.CfnBucket).logicalId)}.Arn>/${prefix}/AWSLogs/${account}/*]`,
    ],
    'Config writes snapshot and history objects under its own prefix of the audit bucket; their keys are created at delivery time.',
  );

  const recorder = new config.CfnConfigurationRecorder(scope, 'Recorder', {
    roleArn: recorderRole.roleArn,
    recordingGroup: { allSupported: true, includeGlobalResourceTypes: props.recordGlobalResources ?? true },
  });
  const channel = new config.CfnDeliveryChannel(scope, 'DeliveryChannel', {
    s3BucketName: props.deliveryBucket.bucketName,
    s3KeyPrefix: prefix,
    s3KmsKeyArn: props.key.keyArn,
    configSnapshotDeliveryProperties: { deliveryFrequency: 'TwentyFour_Hours' },
  });
  recorder.node.addDependency(recorderRole);
  channel.node.addDependency(recorderRole);
}

export interface RegionalDetectionProps {
  /** Key of this region's Config deliveries and of the dead-letter queue. */
  readonly key: kms.IKey;
  /**
   * Bucket of this region Config delivers to, under `config/`.
   * @default - none: only with `inheritedFrom`, where the organization's recorder delivers
   */
  readonly deliveryBucket?: s3.IBucket;
  /**
   * As for DetectiveControls: the organization runs GuardDuty, Config and Security Hub here.
   * @default - none: this construct creates them
   */
  readonly inheritedFrom?: { readonly administratorAccount?: string };
  /**
   * The environment's home region: its default event bus receives this region's alerts, and its rules send them to the
   * findings topic.
   */
  readonly homeRegion: string;
  /** The break-glass role: an assumption recorded in this region (a regional STS endpoint here) is alerted on too. */
  readonly breakGlassRoleName: string;
}

/**
 * Detective controls of one of an environment's other allowed regions:
 * GuardDuty, Security Hub (its findings aggregated to the home region's hub)
 * and AWS Config recording this region's resources (global ones are recorded
 * in the home region), with the alerts raised here (GuardDuty findings of
 * severity 7 and above, assumptions of the break-glass role recorded here)
 * forwarded to the home region's default event bus, where the home region's
 * rules send them to the findings topic. EventBridge targets an event bus of
 * another region directly (EventBridge User Guide, "Sending and receiving
 * events between AWS Regions"); what it cannot deliver rests in a KMS queue.
 * Where the organization runs the services (`inheritedFrom`), only the
 * forwarding is built, Security Hub's findings included (aggregation is then
 * the organization's).
 */
export class RegionalDetection extends Construct {
  readonly undelivered: DeadLetterQueue;
  readonly homeBusArn: string;

  constructor(scope: Construct, id: string, props: RegionalDetectionProps) {
    super(scope, id);
    const { region, account, partition } = Stack.of(this);
    if (region === props.homeRegion)
      throw new Error(
        `${this.node.path}: regional detection belongs in a region other than the home region ${props.homeRegion}`,
      );
    this.node.addMetadata(
      DETECTIVE_CONTROLS_METADATA,
      props.inheritedFrom ? { source: 'organization', ...props.inheritedFrom } : { source: 'estate' },
    );
    if (!props.inheritedFrom) {
      if (!props.deliveryBucket)
        throw new Error(
          `${this.node.path}: a region whose detective controls the estate runs needs a bucket for Config to deliver to`,
        );
      enableDetectiveServices(
        this,
        { key: props.key, deliveryBucket: props.deliveryBucket, recordGlobalResources: false },
        { region, account, partition },
      );
    }
    // As DetectiveControls: EventBridge encrypts what it parks in the dead-letter queue; KMS receives no source from
    // that path.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToParkAlerts',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
    const undelivered = (this.undelivered = new DeadLetterQueue(this, 'UndeliveredAlerts', {
      encryptionKey: props.key,
      reason:
        'This queue is itself the dead-letter queue of the alert forwarding rules; alerts not delivered to the home region rest here for investigation.',
    }));
    this.homeBusArn = `arn:${partition}:events:${props.homeRegion}:${account}:event-bus/default`;
    const forwarder = new ManagedPolicyRole(this, 'ForwardToHome', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: `Forwards this region's security alerts to the default event bus of ${props.homeRegion}`,
    });
    // The EventBus target grants it events:PutEvents on the home bus, and nothing else.
    const homeBus = events.EventBus.fromEventBusArn(this, 'HomeBus', this.homeBusArn);
    const toHome = () => new targets.EventBus(homeBus, { role: forwarder, deadLetterQueue: undelivered });
    new events.Rule(this, 'GuardDutyFindings', {
      description: `GuardDuty findings of severity 7 and above, to ${props.homeRegion}`,
      eventPattern: GUARDDUTY_ALERT_PATTERN,
      targets: [toHome()],
    });
    if (props.inheritedFrom) {
      new events.Rule(this, 'SecurityHubFindings', {
        description: `Security Hub findings of high or critical severity, to ${props.homeRegion}`,
        eventPattern: SECURITY_HUB_ALERT_PATTERN,
        targets: [toHome()],
      });
    }
    new events.Rule(this, 'BreakGlassAssumed', {
      // By name, however cased: the role's ID is another region's; the home rule keeps the break-glass role's sessions
      // by ID.
      description: `Assumptions of the break-glass role recorded in this region, to ${props.homeRegion}`,
      eventPattern: roleNamedEventPattern(props.breakGlassRoleName),
      targets: [toHome()],
    });
  }
}
