import { createHash } from 'node:crypto';
import type { Principal } from './simulate';
/**
 * The synthesized estate as IAM sees it: every role with its identity
 * policies, boundary and tags, every resource policy, every VPC endpoint
 * policy and the organization's SCPs, with CloudFormation intrinsics resolved
 * to the ARNs they will have (a generated name stands in where CloudFormation
 * picks one). Read from the templates, so a question asked of it reads the
 * policies exactly as they will be deployed.
 */
import * as fs from 'node:fs';
import { SynthesizedEstate } from '../support/estate';

type Json = any;

export interface TemplateInfo {
  readonly key: string;
  readonly account: string;
  readonly region: string;
  readonly resources: Record<string, { Type: string; Properties?: Json; Metadata?: Json }>;
  readonly outputs: Record<string, { Value: Json }>;
}

export interface RoleModel {
  readonly key: string;
  readonly logicalId: string;
  readonly path: string;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly identityPolicies: Array<{ name: string; policy: Json }>;
  readonly boundary?: { name: string; policy: Json };
  readonly tags: Record<string, string>;
  readonly trust: Json;
}

/** AWS's AdministratorAccess managed policy. */
export const ADMINISTRATOR_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

/**
 * A member account's administrator: an Identity Center AdministratorAccess role, no boundary (the guardrails' threat
 * model).
 */
export const memberAdmin = (
  account: string,
  arn = `arn:aws:iam::${account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef`,
): Principal => ({
  arn,
  account,
  identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
  person: true,
});

export class EstateModel {
  readonly templates: TemplateInfo[];
  readonly roles: RoleModel[];

  constructor(readonly synth: SynthesizedEstate) {
    this.templates = Object.entries(synth.templateFiles).map(([key, file]) => {
      const t = JSON.parse(fs.readFileSync(file, 'utf8'));
      const env = stackEnv(synth, key);
      return { key, ...env, resources: t.Resources ?? {}, outputs: t.Outputs ?? {} };
    });
    this.roles = this.templates.flatMap((t) => this.rolesOf(t));
  }

  template(key: string): TemplateInfo {
    const t = this.templates.find((x) => x.key === key);
    if (!t) throw new Error(`no template ${key}; have ${this.templates.map((x) => x.key).join(', ')}`);
    return t;
  }

  /** Resolves intrinsics of a value in the context of a template. */
  resolve(t: TemplateInfo, value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(t, v));
    if (!value || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [k] = keys;
      const v = value[k];
      if (k === 'Ref') return this.ref(t, v);
      if (k === 'Fn::GetAtt') return this.getAtt(t, v[0], v[1]);
      if (k === 'Fn::Join') return (this.resolve(t, v[1]) as unknown[]).join(v[0]);
      if (k === 'Fn::Sub')
        return String(typeof v === 'string' ? v : v[0]).replace(/\$\{([^}]+)\}/g, (_m, name) =>
          String(this.ref(t, name)),
        );
      if (k === 'Fn::Select') return this.resolve(t, v[1])[v[0]];
      if (k === 'Fn::Split') return String(this.resolve(t, v[1])).split(v[0]);
      if (k === 'Fn::GetStackOutput') {
        // A stack's output read by another stack of the same environment (aws-cdk-lib's cross-stack references).
        const source = this.templates.find((x) => x.key.replace('/', '-') === v.StackName);
        const output = source?.outputs[v.OutputName];
        if (!source || !output) throw new Error(`${t.key}: no output ${v.OutputName} of ${v.StackName}`);
        return this.resolve(source, output.Value);
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(t, v)]));
  }

  private ref(t: TemplateInfo, name: string): string {
    if (name === 'AWS::Partition') return 'aws';
    if (name === 'AWS::Region') return t.region;
    if (name === 'AWS::AccountId') return t.account;
    if (name === 'AWS::URLSuffix') return 'amazonaws.com';
    if (name === 'AWS::StackName') return t.key.replace('/', '-');
    const r = t.resources[name];
    if (!r) return `${name}`;
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return this.bucketName(t, name);
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${t.region}:${t.account}:${r.Properties?.TopicName ?? name}`;
      case 'AWS::IAM::Role':
        return this.roleName(t, name);
      case 'AWS::KMS::Key':
        return `key-${name}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${t.account}:policy/${this.plain(t, r.Properties?.ManagedPolicyName) ?? name}`;
      default:
        return this.plain(t, r.Properties?.[nameProperty(r.Type)]) ?? name;
    }
  }

  private getAtt(t: TemplateInfo, name: string, attribute: string): string {
    const r = t.resources[name];
    if (!r) return `${name}.${attribute}`;
    if (r.Type === 'AWS::IAM::Role' && attribute === 'RoleId') return roleUniqueId(t.key, name);
    if (attribute !== 'Arn') return `${name}.${attribute}`;
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${this.bucketName(t, name)}`;
      case 'AWS::IAM::Role':
        return this.roleArn(t, name);
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${t.region}:${t.account}:key/${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${t.region}:${t.account}:${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${t.region}:${t.account}:log-group:${this.plain(t, r.Properties?.LogGroupName) ?? name}:*`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${t.region}:${t.account}:function:${this.plain(t, r.Properties?.FunctionName) ?? name}`;
      default:
        return `arn:aws:${r.Type.split('::')[1].toLowerCase()}:${t.region}:${t.account}:${r.Type.split('::')[2].toLowerCase()}/${name}`;
    }
  }

  /** CloudFormation's name for a bucket without one: `<stack>-<logical id>-<suffix>`, lower case. */
  bucketName(t: TemplateInfo, logicalId: string): string {
    return (
      this.plain(t, t.resources[logicalId]?.Properties?.BucketName) ??
      `${t.key.replace('/', '-')}-${logicalId}-abc123`.toLowerCase()
    );
  }

  roleName(t: TemplateInfo, logicalId: string): string {
    return this.plain(t, t.resources[logicalId]?.Properties?.RoleName) ?? `${t.key.replace('/', '-')}-${logicalId}`;
  }

  /** A role's ARN, its path included (`arn:aws:iam::<account>:role/<path>/<name>`). */
  roleArn(t: TemplateInfo, logicalId: string): string {
    const rolePath = this.plain(t, t.resources[logicalId]?.Properties?.Path) ?? '/';
    return `arn:aws:iam::${t.account}:role${rolePath}${this.roleName(t, logicalId)}`;
  }

  private plain(t: TemplateInfo, v: Json): string | undefined {
    if (v === undefined) return undefined;
    const r = this.resolve(t, v);
    return typeof r === 'string' ? r : undefined;
  }

  private rolesOf(t: TemplateInfo): RoleModel[] {
    const out: RoleModel[] = [];
    for (const [id, r] of Object.entries(t.resources)) {
      if (r.Type !== 'AWS::IAM::Role') continue;
      const p = r.Properties ?? {};
      const arn = this.roleArn(t, id);
      const identityPolicies: Array<{ name: string; policy: Json }> = [];
      for (const [pid, pr] of Object.entries(t.resources)) {
        if (
          (pr.Type === 'AWS::IAM::ManagedPolicy' || pr.Type === 'AWS::IAM::Policy') &&
          (pr.Properties?.Roles ?? []).some((x: Json) => x?.Ref === id)
        ) {
          identityPolicies.push({ name: pid, policy: this.resolve(t, pr.Properties.PolicyDocument) });
        }
      }
      for (const m of p.ManagedPolicyArns ?? []) {
        const resolved = this.resolve(t, m);
        const local = typeof m === 'object' && m.Ref && t.resources[m.Ref];
        if (local) identityPolicies.push({ name: m.Ref, policy: this.resolve(t, local.Properties.PolicyDocument) });
        else if (String(resolved).endsWith(':policy/AdministratorAccess'))
          identityPolicies.push({ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS });
      }
      for (const inline of p.Policies ?? [])
        identityPolicies.push({ name: inline.PolicyName, policy: this.resolve(t, inline.PolicyDocument) });
      let boundary: RoleModel['boundary'];
      if (p.PermissionsBoundary) {
        const ref = p.PermissionsBoundary.Ref as string | undefined;
        const local = ref ? t.resources[ref] : undefined;
        const doc = local
          ? this.resolve(t, local.Properties.PolicyDocument)
          : this.boundaryByArn(this.resolve(t, p.PermissionsBoundary), t.account);
        if (doc) boundary = { name: ref ?? 'WorkloadPermissionsBoundary', policy: doc };
      }
      const tags = tagMap(this.resolve(t, p.Tags));
      out.push({
        key: t.key,
        logicalId: id,
        path: r.Metadata?.['aws:cdk:path'] ?? id,
        arn,
        account: t.account,
        region: t.region,
        identityPolicies,
        boundary,
        tags,
        trust: this.resolve(t, p.AssumeRolePolicyDocument),
      });
    }
    return out;
  }

  /** The boundary policy a role names by ARN (a managed policy of another stack of the same account). */
  private boundaryByArn(arn: string, account: string): Json | undefined {
    for (const t of this.templates ?? []) {
      if (t.account !== account) continue;
      for (const [id, r] of Object.entries(t.resources)) {
        if (
          r.Type === 'AWS::IAM::ManagedPolicy' &&
          `arn:aws:iam::${t.account}:policy/${this.plain(t, r.Properties?.ManagedPolicyName) ?? id}` === arn
        )
          return this.resolve(t, r.Properties.PolicyDocument);
      }
    }
    return undefined;
  }

  /** The single role of a template whose construct path contains `fragment`. */
  role(key: string, fragment: string): RoleModel {
    const found = this.roles.filter((r) => r.key === key && r.path.includes(fragment));
    if (found.length !== 1)
      throw new Error(
        `${found.length} roles in ${key} match ${fragment}: ${this.roles
          .filter((r) => r.key === key)
          .map((r) => r.path)
          .join(', ')}`,
      );
    return found[0];
  }

  /** The logical ID of the single resource of a type whose construct path contains `fragment`. */
  resourceId(key: string, type: string, fragment: string): string {
    const t = this.template(key);
    const found = Object.entries(t.resources).filter(
      ([, r]) => r.Type === type && String(r.Metadata?.['aws:cdk:path'] ?? '').includes(fragment),
    );
    if (found.length !== 1) throw new Error(`${found.length} ${type} in ${key} match ${fragment}`);
    return found[0][0];
  }

  /** The resolved policy document of the single resource of `type` whose path contains `fragment`. */
  policyOf(key: string, type: string, fragment: string, property = 'PolicyDocument'): Json {
    const t = this.template(key);
    return this.resolve(t, t.resources[this.resourceId(key, type, fragment)].Properties[property]);
  }

  /** Tags of a resource, resolved. */
  tagsOf(key: string, logicalId: string): Record<string, string> {
    const t = this.template(key);
    return tagMap(this.resolve(t, t.resources[logicalId].Properties?.Tags));
  }

  /** The organization's SCPs, resolved. */
  scps(): Array<{ name: string; policy: Json }> {
    const t = this.template('Organization');
    return Object.values(t.resources)
      .filter((r) => r.Type === 'AWS::Organizations::Policy')
      .map((r) => ({ name: String(r.Properties.Name), policy: this.resolve(t, r.Properties.Content) }));
  }
}

/** Tags as CloudFormation writes them: a list of Key/Value, or a map. */
export function tagMap(tags: Json): Record<string, string> {
  if (Array.isArray(tags)) return Object.fromEntries(tags.map((x: Json) => [x.Key, String(x.Value)]));
  if (tags && typeof tags === 'object') return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)]));
  return {};
}

function nameProperty(type: string): string {
  return `${type.split('::')[2]}Name`;
}

function stackEnv(synth: SynthesizedEstate, key: string): { account: string; region: string } {
  const [envName, stackId] = key.includes('/') ? key.split('/') : [undefined, key];
  if (envName) {
    const env = synth.config.environments.find((e) => e.name === envName)!;
    const region =
      stackId === 'AuditReplica'
        ? env.auditReplicaRegion
        : stackId.startsWith('Detection-')
          ? stackId.slice('Detection-'.length)
          : env.region;
    return { account: env.account, region };
  }
  if (key === 'Organization')
    return { account: synth.config.organization.managementAccount!, region: synth.config.organization.homeRegion };
  return { account: synth.config.delivery?.account ?? '000000000000', region: synth.config.organization.homeRegion };
}

/**
 * A stand-in for the unique ID IAM gives a role when it is created (`AROA` and 17 letters and digits), stable for
 * one role of one stack: what CloudTrail records as the role's part of `assumedRoleUser.assumedRoleId`.
 */
export function roleUniqueId(stackKey: string, logicalId: string): string {
  const digest = createHash('sha256').update(`${stackKey}/${logicalId}`).digest('hex').toUpperCase();
  return `AROA${digest
    .replace(/[^A-Z2-7]/g, '')
    .padEnd(17, 'Q')
    .slice(0, 17)}`;
}
