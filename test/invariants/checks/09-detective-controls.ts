import { Match } from 'aws-cdk-lib/assertions';
import type { EstateUnderTest } from '../suite';

/** GuardDuty, Security Hub and AWS Config in every environment, with high and critical findings alerting. */
export default function detectiveControls(estate: EstateUnderTest): void {
  const { config, stacks, ofType, envOf, synth } = estate;

  const inherited = config.organization.detectiveControls.source === 'organization';
  if (inherited) {
    test(`detective controls are the organization's (administrator ${config.organization.detectiveControls.administratorAccount}): none is created, the alerting is wired`, () => {
      for (const stack of stacks.foundation) {
        for (const type of [
          'AWS::GuardDuty::Detector',
          'AWS::SecurityHub::Hub',
          'AWS::SecurityHub::Standard',
          'AWS::Config::ConfigurationRecorder',
          'AWS::Config::DeliveryChannel',
        ]) {
          expect([stack, type, ofType(stack, type)]).toEqual([stack, type, []]);
        }
        const rules = ofType(stack, 'AWS::Events::Rule').filter(([id]) => id.startsWith('Detective'));
        expect([stack, rules.map(([, r]) => r.Properties.EventPattern.source[0]).sort()]).toEqual([
          stack,
          ['aws.guardduty', 'aws.securityhub'],
        ]);
      }
    });
    return;
  }

  for (const stack of stacks.foundation) {
    describe(`detective controls (${stack})`, () => {
      test('GuardDuty is on with S3, runtime and Lambda protection, publishing every 15 minutes', () => {
        synth().templates[stack].hasResourceProperties('AWS::GuardDuty::Detector', {
          Enable: true,
          FindingPublishingFrequency: 'FIFTEEN_MINUTES',
          Features: Match.arrayWith([
            { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
            { Name: 'LAMBDA_NETWORK_LOGS', Status: 'ENABLED' },
          ]),
        });
      });

      test('Security Hub runs the foundational best practices and NIST 800-53 R5 standards of its region', () => {
        synth().templates[stack].hasResourceProperties('AWS::SecurityHub::Hub', { EnableDefaultStandards: false });
        const region = envOf(stack).region;
        expect(ofType(stack, 'AWS::SecurityHub::Standard').map(([, s]) => s.Properties.StandardsArn)).toEqual([
          `arn:aws:securityhub:${region}::standards/aws-foundational-security-best-practices/v/1.0.0`,
          `arn:aws:securityhub:${region}::standards/nist-800-53/v/5.0.0`,
        ]);
      });

      test('AWS Config records every supported resource type into the audit bucket, encrypted with the audit key', () => {
        synth().templates[stack].hasResourceProperties('AWS::Config::ConfigurationRecorder', {
          RecordingGroup: { AllSupported: true, IncludeGlobalResourceTypes: true },
        });
        const [[, channel]] = ofType(stack, 'AWS::Config::DeliveryChannel');
        expect(channel.Properties).toMatchObject({
          S3BucketName: { Ref: expect.stringMatching(/^AuditBucket/) },
          S3KmsKeyArn: { 'Fn::GetAtt': [expect.stringMatching(/^KeysAuditKey/), 'Arn'] },
        });
      });

      test('high and critical findings go to a KMS topic, with a dead-letter queue for what cannot be delivered', () => {
        const rules = ofType(stack, 'AWS::Events::Rule').filter(([id]) => id.startsWith('Detective'));
        expect(rules.map(([, r]) => r.Properties.EventPattern.source[0]).sort()).toEqual([
          'aws.guardduty',
          'aws.securityhub',
        ]);
        for (const [, rule] of rules) {
          expect(rule.Properties.Targets).toEqual([
            expect.objectContaining({
              Arn: { Ref: expect.stringMatching(/^DetectiveFindings/) },
              DeadLetterConfig: {
                Arn: { 'Fn::GetAtt': [expect.stringMatching(/^DetectiveUndeliveredFindings/), 'Arn'] },
              },
            }),
          ]);
        }
        synth().templates[stack].hasResourceProperties('AWS::SNS::Topic', {
          KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeysAuditKey'), 'Arn'] },
        });
      });
    });
  }
}
