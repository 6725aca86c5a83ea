/**
 * DetectiveControls and RegionalDetection on their own (no estate synth): the services they enable or adopt, where
 * high-severity findings go and where undelivered ones rest (a DeadLetterQueue on the given key, TLS only), the
 * metadata the compliance evidence reads, and the wiring they refuse.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { DEAD_LETTER_QUEUE_FINDINGS } from '../../constructs/dead-letter-queue';
import {
  DETECTIVE_CONTROLS_METADATA,
  DetectiveControls,
  DetectiveControlsProps,
  GUARDDUTY_ALERT_PATTERN,
  RegionalDetection,
  RegionalDetectionProps,
  SECURITY_HUB_ALERT_PATTERN,
} from '../../constructs/detective-controls';

const ACCOUNT = '123456789012';

function stackIn(region: string) {
  const stack = new Stack(new App(), 'Probe', { env: { account: ACCOUNT, region } });
  const key = new kms.Key(stack, 'Key');
  const bucket = new s3.Bucket(stack, 'Audit', { encryptionKey: key });
  return { stack, key, bucket, keyId: stack.getLogicalId(key.node.defaultChild as kms.CfnKey) };
}

function controls(props: Partial<DetectiveControlsProps> = {}) {
  const { stack, key, bucket, keyId } = stackIn('eu-west-1');
  const c = new DetectiveControls(stack, 'Detective', { key, deliveryBucket: bucket, ...props });
  return { c, keyId, template: Template.fromStack(stack) };
}

function regional(props: Partial<RegionalDetectionProps> = {}, region = 'eu-central-1') {
  const { stack, key, bucket, keyId } = stackIn(region);
  const d = new RegionalDetection(stack, 'Detection', {
    key,
    deliveryBucket: bucket,
    homeRegion: 'eu-west-1',
    breakGlassRoleName: 'estate-break-glass',
    ...props,
  });
  return { d, keyId, template: Template.fromStack(stack) };
}

const count = (t: Template, type: string) => Object.keys(t.findResources(type)).length;
/**
 * The acknowledgements recorded on a construct's resource (cdk's Validations store `{"Annotation::<rule>": reason}`).
 */
const acknowledged = (c: IConstruct) =>
  c.node
    .defaultChild!.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) =>
      Object.entries(m.data as Record<string, string>).map(([key, reason]) => ({
        id: key.replace(/^Annotation::/, ''),
        reason,
      })),
    );

/** The dead-letter queue every rule target of the template names, and that it is the construct's KMS queue. */
function expectRulesParkIn(template: Template, queueId: string, keyId: string, rules: number) {
  const targets = Object.values(template.findResources('AWS::Events::Rule')).flatMap((r) => r.Properties.Targets);
  expect(targets).toHaveLength(rules);
  for (const t of targets) expect(t.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
  expect(template.toJSON().Resources[queueId].Properties).toMatchObject({
    KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    MessageRetentionPeriod: 14 * 24 * 3600,
  });
  template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    Queues: [{ Ref: queueId }],
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    },
  });
}

describe('DetectiveControls', () => {
  test('GIVEN no organization: GuardDuty, Security Hub with FSBP and NIST 800-53, and Config recording every type into the bucket', () => {
    const { template, keyId } = controls();
    expect(count(template, 'AWS::GuardDuty::Detector')).toBe(1);
    expect(count(template, 'AWS::SecurityHub::Hub')).toBe(1);
    const standards = Object.values(template.findResources('AWS::SecurityHub::Standard')).map((r) =>
      JSON.stringify(r.Properties.StandardsArn),
    );
    expect(standards.some((s) => s.includes('aws-foundational-security-best-practices'))).toBe(true);
    expect(standards.some((s) => s.includes('nist-800-53/v/5.0.0'))).toBe(true);
    template.hasResourceProperties('AWS::Config::ConfigurationRecorder', {
      RecordingGroup: { AllSupported: true, IncludeGlobalResourceTypes: true },
    });
    template.hasResourceProperties('AWS::Config::DeliveryChannel', {
      S3KeyPrefix: 'config',
      S3KmsKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    // No finding aggregator without linked regions.
    expect(count(template, 'AWS::SecurityHub::FindingAggregator')).toBe(0);
  });

  test('high-severity findings go to the KMS topic; what EventBridge cannot deliver rests in the dead-letter queue on the same key', () => {
    const { c, template, keyId } = controls();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: GUARDDUTY_ALERT_PATTERN.source, detail: { severity: [{ numeric: ['>=', 7] }] } },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: SECURITY_HUB_ALERT_PATTERN.source },
    });
    const queueId = Stack.of(c).getLogicalId(c.undelivered.node.defaultChild as any);
    expectRulesParkIn(template, queueId, keyId, 2);
    for (const t of Object.values(template.findResources('AWS::Events::Rule')).flatMap((r) => r.Properties.Targets))
      expect(t.RetryPolicy).toEqual({ MaximumRetryAttempts: 8 });
  });

  test('the dead-letter queue acknowledges exactly the findings of being one, with a reason naming what it holds', () => {
    const { c } = controls();
    const acks = acknowledged(c.undelivered);
    expect(acks.map((a) => a.id).sort()).toEqual([...DEAD_LETTER_QUEUE_FINDINGS].sort());
    for (const a of acks) expect(a.reason).toMatch(/dead-letter queue of the findings rules/);
  });

  test('GIVEN the organization runs them: none of the services is created, the alerting is, and the evidence metadata says who runs them', () => {
    const { c, template } = controls({ inheritedFrom: { administratorAccount: '999999999999' } });
    for (const type of [
      'AWS::GuardDuty::Detector',
      'AWS::SecurityHub::Hub',
      'AWS::Config::ConfigurationRecorder',
      'AWS::Config::DeliveryChannel',
    ])
      expect([type, count(template, type)]).toEqual([type, 0]);
    expect(count(template, 'AWS::Events::Rule')).toBe(2);
    expect(c.node.metadata.filter((m) => m.type === DETECTIVE_CONTROLS_METADATA).map((m) => m.data)).toEqual([
      { source: 'organization', administratorAccount: '999999999999' },
    ]);
    expect(
      controls()
        .c.node.metadata.filter((m) => m.type === DETECTIVE_CONTROLS_METADATA)
        .map((m) => m.data),
    ).toEqual([{ source: 'estate' }]);
  });

  test('linked regions are aggregated; the security team is subscribed when named', () => {
    const { template } = controls({
      linkedRegions: ['eu-central-1', 'eu-north-1'],
      alertSubscription: { protocol: 'email', endpoint: 'security@example.com' },
    });
    template.hasResourceProperties('AWS::SecurityHub::FindingAggregator', {
      RegionLinkingMode: 'SPECIFIED_REGIONS',
      Regions: ['eu-central-1', 'eu-north-1'],
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'security@example.com' });
  });
});

describe('RegionalDetection', () => {
  test('alerts of this region go to the home region default bus through a role only EventBridge of this account assumes; undelivered ones rest in the KMS queue', () => {
    const { d, template, keyId } = regional();
    expect(Stack.of(d).resolve(d.homeBusArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:eu-west-1:${ACCOUNT}:event-bus/default`]],
    });
    const queueId = Stack.of(d).getLogicalId(d.undelivered.node.defaultChild as any);
    // GuardDuty and the break-glass assumptions (Security Hub is aggregated by the home hub when the estate runs it).
    expectRulesParkIn(template, queueId, keyId, 2);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::Config::ConfigurationRecorder', {
      RecordingGroup: { AllSupported: true, IncludeGlobalResourceTypes: false },
    });
    expect(
      acknowledged(d.undelivered)
        .map((a) => a.id)
        .sort(),
    ).toEqual([...DEAD_LETTER_QUEUE_FINDINGS].sort());
  });

  test('GIVEN the organization runs the services: Security Hub findings are forwarded too, no services created', () => {
    const { template } = regional({ inheritedFrom: {}, deliveryBucket: undefined });
    expect(count(template, 'AWS::Events::Rule')).toBe(3);
    expect(count(template, 'AWS::GuardDuty::Detector') + count(template, 'AWS::Config::ConfigurationRecorder')).toBe(0);
  });

  test('refused: in the home region itself, and without a delivery bucket where the estate runs the services', () => {
    expect(() => regional({}, 'eu-west-1')).toThrow(
      /Detection: regional detection belongs in a region other than the home region eu-west-1/,
    );
    expect(() => regional({ deliveryBucket: undefined })).toThrow(/needs a bucket for Config to deliver to/);
  });
});
