/**
 * Someone receives the security alerts: staging and prod name the endpoint
 * subscribed to their findings topic (GuardDuty, Security Hub and the
 * break-glass rule publish there), the config refuses them without one, and
 * the synthesized Foundation stacks subscribe it.
 */
import * as fs from 'node:fs';
import * as YAML from 'yaml';
import { EstateConfigError, validateEstateConfig } from '../../lib/config/load';
import { EXAMPLE_ESTATE_FILE, synthesizeEstate, SynthesizedEstate } from '../support/estate';

const example = (): any => YAML.parse(fs.readFileSync(EXAMPLE_ESTATE_FILE, 'utf8'));
const problems = (raw: unknown): string[] => {
  try {
    validateEstateConfig(raw, 'test.yaml');
  } catch (e) {
    if (e instanceof EstateConfigError)
      return e.message
        .split('\n')
        .slice(1)
        .map((l) => l.replace(/^ {2}- /, ''));
    throw e;
  }
  return [];
};
const env = (raw: any, name: string) => raw.environments.find((e: any) => e.name === name);

describe('the config', () => {
  test.each(['staging', 'prod'])(
    'refuses a %s environment without securityAlerts, naming the field and what it takes',
    (name) => {
      const raw = example();
      delete env(raw, name).securityAlerts;
      const found = problems(raw);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(
        new RegExp(
          `^environments\\[${name}\\]\\.securityAlerts: is required for a ${name} environment: .*email\\|https\\|sqs\\|lambda.*reach no one`,
        ),
      );
    },
  );

  test('accepts dev without one', () => {
    const raw = example();
    delete env(raw, 'dev').securityAlerts;
    expect(problems(raw)).toEqual([]);
  });

  test.each([
    ['email', 'not-an-address', 'an e-mail address'],
    ['https', 'http://plain.example.com/hook', 'an https:// URL'],
    ['sqs', 'arn:aws:sns:eu-west-1:777777777777:not-a-queue', 'the ARN of an SQS queue'],
    ['lambda', 'my-function', 'the ARN of a Lambda function'],
  ])('refuses a %s endpoint that is not one (%s)', (protocol, endpoint, hint) => {
    const raw = example();
    env(raw, 'prod').securityAlerts = { protocol, endpoint };
    expect(problems(raw)).toEqual([
      expect.stringContaining(`environments[prod].securityAlerts.endpoint: must be ${hint}`),
    ]);
  });

  test('refuses an unknown protocol, listing the known ones', () => {
    const raw = example();
    env(raw, 'prod').securityAlerts = { protocol: 'sms', endpoint: '+441234567890' };
    expect(problems(raw).join('\n')).toContain(
      'environments[prod].securityAlerts.protocol: must be one of email, https, sqs, lambda',
    );
  });
});

describe('the synthesized estate', () => {
  let estate: SynthesizedEstate;
  beforeAll(() => {
    const raw = example();
    env(raw, 'staging').securityAlerts = {
      protocol: 'sqs',
      endpoint: 'arn:aws:sqs:eu-west-1:777777777777:security-alerts',
    };
    delete env(raw, 'dev').securityAlerts;
    estate = synthesizeEstate(validateEstateConfig(raw, 'test.yaml'));
  });

  const subscriptions = (name: string) => {
    const template = estate.templates[`${name}/Foundation`].toJSON();
    const topic = Object.entries<any>(template.Resources).find(
      ([, r]) => r.Type === 'AWS::SNS::Topic' && String(r.Metadata?.['aws:cdk:path']).includes('Detective/Findings'),
    )![0];
    return Object.values<any>(template.Resources)
      .filter((r) => r.Type === 'AWS::SNS::Subscription' && r.Properties.TopicArn?.Ref === topic)
      .map((r) => ({ protocol: r.Properties.Protocol, endpoint: r.Properties.Endpoint }));
  };

  test('every environment that names an endpoint subscribes it to its findings topic, exactly as configured', () => {
    expect(subscriptions('prod')).toEqual([{ protocol: 'email', endpoint: 'security-alerts@example.com' }]);
    expect(subscriptions('staging')).toEqual([
      { protocol: 'sqs', endpoint: 'arn:aws:sqs:eu-west-1:777777777777:security-alerts' },
    ]);
  });

  test('an environment without one has no subscriber (the test can fail: dev left it out)', () => {
    expect(subscriptions('dev')).toEqual([]);
  });
});
