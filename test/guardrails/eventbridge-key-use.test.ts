/**
 * EventBridge delivering to a KMS-encrypted topic or queue (the findings and
 * model topics, and their dead-letter queues) uses the key as
 * events.amazonaws.com and sends KMS no aws:SourceAccount/aws:SourceArn: the
 * SNS Developer Guide ("Managing Amazon SNS encryption keys", "Enable
 * compatibility between event sources from AWS services and encrypted
 * topics") documents the key statement without a condition and says a source
 * condition on it is not supported; the EventBridge User Guide ("Using
 * dead-letter queues to process undelivered events") gives the same statement
 * for an encrypted dead-letter queue. A grant conditioned on a source never
 * applies there, so every alert is dropped. These tests hold the estate, the
 * validator and the nag rule to the documented form.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagRuleCompliance } from 'cdk-nag';
import { FoundPolicyDocument } from '../../policies/validation/policy-documents';
import { validatePolicyDocument } from '../../policies/validation/validate';
import { isEventBridgeTargetKeyUse, unsupportedSourceKeys } from '../../policies/validation/eventbridge-key-use';
import { KMSKeyPolicyNoOpenPrincipal } from '../../policies/rules/KMSKeyPolicyNoOpenPrincipal';
import { synthesizeEstate } from '../support/estate';

const keyPolicy = (Statement: object[]): FoundPolicyDocument => ({
  location: { stack: 'test', logicalId: 'K', resourceType: 'AWS::KMS::Key', property: 'KeyPolicy' },
  kind: 'resource',
  document: { Version: '2012-10-17', Statement: Statement as never },
});
const codes = (statements: object[]) => validatePolicyDocument(keyPolicy(statements)).map((p) => p.code);
const documented = {
  Effect: 'Allow',
  Principal: { Service: 'events.amazonaws.com' },
  Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
  Resource: '*',
};

describe('the validator holds EventBridge key grants to the documented form', () => {
  test('accepts the documented statement (no source condition)', () => {
    expect(codes([documented])).toEqual([]);
    expect(codes([{ ...documented, Action: ['kms:GenerateDataKey*', 'kms:Decrypt'] }])).toEqual([]);
  });

  test.each([
    ['aws:SourceAccount', { StringEquals: { 'aws:SourceAccount': '111111111111' } }],
    ['aws:SourceArn', { ArnEquals: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:111111111111:rule/x' } }],
  ])('reports a grant conditioned on %s: KMS never receives it from EventBridge', (_key, Condition) => {
    expect(codes([{ ...documented, Condition }])).toContain('source-condition-never-sent');
  });

  test('still reports an unsourced EventBridge grant of anything beyond the data-key calls (confused deputy)', () => {
    expect(codes([{ ...documented, Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*'] }])).toContain(
      'service-principal-without-source',
    );
    expect(
      codes([
        { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Resource: '*' },
      ]),
    ).toContain('service-principal-without-source');
    expect(
      codes([{ ...documented, Principal: { Service: ['events.amazonaws.com', 'cloudwatch.amazonaws.com'] } }]),
    ).toContain('service-principal-without-source');
  });

  test('event-bus encryption (encryption context names the bus) is not this form', () => {
    expect(
      isEventBridgeTargetKeyUse({
        ...documented,
        Condition: {
          StringEquals: { 'kms:EncryptionContext:aws:events:event-bus:arn': 'arn:aws:events:eu-west-1:1:event-bus/b' },
        },
      }),
    ).toBe(false);
  });
});

describe('the RegulatedMLOps key rule', () => {
  const keyWith = (statement: iam.PolicyStatement) => {
    const stack = new Stack(new App(), 'K', { env: { account: '111111111111', region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key');
    key.addToResourcePolicy(statement);
    return key.node.defaultChild as kms.CfnKey;
  };
  const events = (conditions?: Record<string, Record<string, string>>) =>
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions,
    });

  test('passes the documented EventBridge statement and fails the source-conditioned one', () => {
    expect(KMSKeyPolicyNoOpenPrincipal(keyWith(events()))).toBe(NagRuleCompliance.COMPLIANT);
    expect(
      KMSKeyPolicyNoOpenPrincipal(keyWith(events({ StringEquals: { 'aws:SourceAccount': '111111111111' } }))),
    ).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test('still fails an unsourced grant to another service', () => {
    const sns = new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
      actions: ['kms:Decrypt'],
      resources: ['*'],
    });
    expect(KMSKeyPolicyNoOpenPrincipal(keyWith(sns))).toBe(NagRuleCompliance.NON_COMPLIANT);
  });
});

describe('every encrypted topic and dead-letter queue an EventBridge rule delivers to, in the synthesized estate', () => {
  type Resources = Record<string, { Type: string; Properties?: any }>;
  const deliveries: Array<{
    template: string;
    rule: string;
    via: string;
    keyPolicy: any[] | undefined;
    keyRef: unknown;
  }> = [];
  beforeAll(() => {
    const synth = synthesizeEstate();
    const templates = Object.fromEntries(
      Object.entries(synth.templateFiles).map(([key, file]) => [
        key,
        JSON.parse(require('node:fs').readFileSync(file, 'utf8')) as {
          Resources?: Resources;
          Outputs?: Record<string, any>;
        },
      ]),
    );
    const logicalIdOf = (ref: unknown): string | undefined => (ref as any)?.Ref ?? (ref as any)?.['Fn::GetAtt']?.[0];
    // A key in the same template, or in another stack of the estate read through Fn::GetStackOutput (`<env>-<Stack>`).
    const keyPolicyOf = (templateKey: string, ref: unknown): any[] | undefined => {
      const output = (ref as any)?.['Fn::GetStackOutput'];
      const [key, id] = output
        ? [
            output.StackName.replace('-', '/'),
            logicalIdOf(templates[output.StackName.replace('-', '/')]?.Outputs?.[output.OutputName]?.Value),
          ]
        : [templateKey, logicalIdOf(ref)];
      const resource = id ? templates[key]?.Resources?.[id] : undefined;
      return resource?.Type === 'AWS::KMS::Key' ? [resource.Properties.KeyPolicy.Statement].flat() : undefined;
    };
    for (const [key, template] of Object.entries(templates)) {
      const resources = template.Resources ?? {};
      for (const [id, r] of Object.entries(resources)) {
        if (r.Type !== 'AWS::Events::Rule') continue;
        for (const target of r.Properties?.Targets ?? []) {
          for (const [via, arn] of [
            ['target', target.Arn],
            ['dead-letter queue', target.DeadLetterConfig?.Arn],
          ] as const) {
            const destination = resources[logicalIdOf(arn) ?? ''];
            if (destination?.Type !== 'AWS::SNS::Topic' && destination?.Type !== 'AWS::SQS::Queue') continue;
            const keyRef = destination.Properties?.KmsMasterKeyId;
            if (keyRef === undefined) continue;
            deliveries.push({ template: key, rule: id, via, keyPolicy: keyPolicyOf(key, keyRef), keyRef });
          }
        }
      }
    }
  }, 240_000);

  test('the estate has such deliveries (findings and model topics, their dead-letter queues)', () => {
    expect(deliveries.filter((d) => d.via === 'target').length).toBeGreaterThan(0);
    expect(deliveries.filter((d) => d.via === 'dead-letter queue').length).toBeGreaterThan(0);
  });

  test("each one's key (in its own or another estate stack) grants EventBridge the data-key calls in the documented form, without a source condition", () => {
    const failures: string[] = [];
    for (const d of deliveries) {
      const where = `${d.template} ${d.rule} ${d.via} key ${JSON.stringify(d.keyRef)}`;
      if (d.keyPolicy === undefined) {
        failures.push(`${where}: key not in this template`);
        continue;
      }
      const grants = d.keyPolicy.filter((s) => isEventBridgeTargetKeyUse(s));
      const usable = grants.filter((s) => unsupportedSourceKeys(s).length === 0);
      const actions = new Set(usable.flatMap((s) => [s.Action].flat()));
      const covers = (a: string) =>
        actions.has(a) || (a === 'kms:GenerateDataKey' && actions.has('kms:GenerateDataKey*'));
      if (!covers('kms:Decrypt') || !covers('kms:GenerateDataKey'))
        failures.push(`${where}: no unconditioned EventBridge grant of kms:Decrypt and kms:GenerateDataKey`);
      for (const s of grants.filter((g) => unsupportedSourceKeys(g).length > 0))
        failures.push(
          `${where}: ${s.Sid ?? '(no sid)'} conditioned on ${unsupportedSourceKeys(s).join(', ')}, never sent by EventBridge`,
        );
    }
    expect(failures).toEqual([]);
  });
});
