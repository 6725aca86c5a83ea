/**
 * The regulatory floors are defined once (policies/regulatory-floors.ts): the
 * config, the constructs and the RegulatedMLOps rules all refuse the same
 * values. Each case moves one value just below a floor and expects all three
 * to refuse it, and the floor itself to pass.
 */
import * as fs from 'node:fs';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as YAML from 'yaml';
import { EncryptedLogGroup } from '../constructs/encrypted-log-group';
import { EstateConfigError, validateEstateConfig } from '../lib/config';
import { RegulatedMLOpsChecks } from '../policies/regulated-mlops-pack';
import {
  AUDIT_RETENTION_FLOOR_DAYS,
  AUDIT_RETENTION_FLOOR_YEARS,
  INSTANCE_FAMILIES,
  LOG_RETENTION_DAYS,
  MIN_LOG_RETENTION_DAYS,
  retentionDays,
} from '../policies/regulatory-floors';
import { EXAMPLE_ESTATE_FILE } from './support/estate';

const example = (): any => YAML.parse(fs.readFileSync(EXAMPLE_ESTATE_FILE, 'utf8'));

function configProblems(mutate: (c: any) => void): string[] {
  const c = example();
  mutate(c);
  try {
    validateEstateConfig(c, 'probe');
    return [];
  } catch (e) {
    if (!(e instanceof EstateConfigError)) throw e;
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

/** Rule names the RegulatedMLOps pack reports for one resource in an environment of `type`. */
function ruleFindings(type: string, props: Record<string, unknown>, cfnType: string): string[] {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  new CfnResource(stack, 'R', {
    type: cfnType,
    properties: {
      ...props,
      Tags: [
        { Key: 'estate:environment-type', Value: type },
        { Key: 'estate:records', Value: 'audit' },
      ],
    },
  });
  return new RegulatedMLOpsChecks()
    .validateScope(stack)
    .violations.map((v) => v.ruleName.replace('RegulatedMLOps-', ''));
}

const lockedFor = (days: number) => ({
  ObjectLockEnabled: true,
  ObjectLockConfiguration: {
    ObjectLockEnabled: 'Enabled',
    Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: days } },
  },
});

describe('audit retention floor, per environment type', () => {
  test.each(['dev', 'staging', 'prod'] as const)(
    '%s: config and the rule both refuse a year below the floor, and both accept the floor',
    (type) => {
      // GIVEN the floor of this type, in years and in days
      const years = AUDIT_RETENTION_FLOOR_YEARS[type];
      expect(AUDIT_RETENTION_FLOOR_DAYS[type]).toBe(retentionDays(years));
      const index = example().environments.findIndex((e: any) => e.type === type);
      const name = example().environments[index].name;
      // WHEN the config asks for a year less than the floor, or the floor
      const below = configProblems((c) => (c.environments[index].auditLogRetentionYears = years - 1));
      const at = configProblems((c) => (c.environments[index].auditLogRetentionYears = years));
      // THEN the config refuses below, naming the floor, and accepts the floor
      expect(below).toEqual([
        `environments[${name}].auditLogRetentionYears: must be at least ${years} year(s) for a ${type} environment (regulatory floor)`,
      ]);
      expect(at).toEqual([]);
      // AND the rule refuses an audit bucket locked one day short of the floor, and accepts the floor
      expect(ruleFindings(type, lockedFor(AUDIT_RETENTION_FLOOR_DAYS[type] - 1), 'AWS::S3::Bucket')).toContain(
        'AuditBucketLocked',
      );
      expect(ruleFindings(type, lockedFor(AUDIT_RETENTION_FLOOR_DAYS[type]), 'AWS::S3::Bucket')).not.toContain(
        'AuditBucketLocked',
      );
    },
  );
});

describe('log retention floor', () => {
  test('the config offers no value below the floor, and offers the floor', () => {
    expect(Math.min(...LOG_RETENTION_DAYS)).toBe(MIN_LOG_RETENTION_DAYS);
    const name = example().environments[0].name;
    expect(configProblems((c) => (c.environments[0].logRetentionDays = MIN_LOG_RETENTION_DAYS - 1))).toEqual([
      `environments[${name}].logRetentionDays: must be one of the CloudWatch Logs retention values of a year or more: ${LOG_RETENTION_DAYS.join(', ')}`,
    ]);
    expect(configProblems((c) => (c.environments[0].logRetentionDays = MIN_LOG_RETENTION_DAYS))).toEqual([]);
  });

  test('the construct refuses a day below the floor; the rule flags it', () => {
    const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key');
    expect(() => new EncryptedLogGroup(stack, 'Short', { encryptionKey: key, retention: 180 })).toThrow(
      `EncryptedLogGroup Short: retention 180 days is below the ${MIN_LOG_RETENTION_DAYS}-day floor; use RetentionDays.ONE_YEAR or longer`,
    );
    expect(
      () => new EncryptedLogGroup(stack, 'Floor', { encryptionKey: key, retention: MIN_LOG_RETENTION_DAYS }),
    ).not.toThrow();
    expect(
      ruleFindings('dev', { KmsKeyId: 'k', RetentionInDays: MIN_LOG_RETENTION_DAYS - 1 }, 'AWS::Logs::LogGroup'),
    ).toContain('LogGroupRetainedEncrypted');
    expect(
      ruleFindings('dev', { KmsKeyId: 'k', RetentionInDays: MIN_LOG_RETENTION_DAYS }, 'AWS::Logs::LogGroup'),
    ).not.toContain('LogGroupRetainedEncrypted');
  });
});

describe('instance families', () => {
  test('an endpoint of a family outside the default list of its environment type is refused, naming the list', () => {
    const c = example();
    const dev = c.environments.findIndex((e: any) => e.type === 'dev');
    const model = c.models.findIndex((m: any) => m.endpoints[c.environments[dev].name]);
    const name = c.environments[dev].name;
    expect(INSTANCE_FAMILIES.dev).not.toContain('ml.p5');
    const problems = configProblems((cfg) => {
      delete cfg.environments[dev].instanceFamilies;
      cfg.models[model].endpoints[name].variants[0].instanceType = 'ml.p5.48xlarge';
    });
    expect(problems).toContain(
      `models[${c.models[model].id}].endpoints.${name}.variants[0].instanceType: is of family ml.p5, not allowed in ${name} (allowed: ${INSTANCE_FAMILIES.dev.join(', ')})`,
    );
  });
});
