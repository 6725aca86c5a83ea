/**
 * Every IAM policy document a CloudFormation template writes: identity and
 * boundary policies, role trust policies, bucket, key, topic, queue, VPC
 * endpoint, model package group and organization policies, wherever they sit
 * in a resource's properties (a property holding an object with `Statement`,
 * or a JSON string of one).
 */

export type PolicyKind = 'identity' | 'trust' | 'resource' | 'endpoint' | 'scp';

export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocumentJson {
  readonly Version?: string;
  readonly Statement: PolicyStatementJson | PolicyStatementJson[];
}

export interface PolicyDocumentLocation {
  /** Stack the template belongs to, as the caller names it (e.g. `prod/Foundation`). */
  readonly stack: string;
  readonly logicalId: string;
  readonly resourceType: string;
  /** Property path of the document inside the resource's properties, e.g. `Policies.0.PolicyDocument`. */
  readonly property: string;
  /** Construct path, when the template carries `aws:cdk:path` metadata. */
  readonly constructPath?: string;
}

export interface FoundPolicyDocument {
  readonly location: PolicyDocumentLocation;
  readonly kind: PolicyKind;
  readonly document: PolicyDocumentJson;
}

interface TemplateJson {
  readonly Resources?: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
}

const KIND_BY_TYPE: Record<string, PolicyKind> = {
  'AWS::IAM::ManagedPolicy': 'identity',
  'AWS::IAM::Policy': 'identity',
  'AWS::IAM::Role': 'identity',
  'AWS::EC2::VPCEndpoint': 'endpoint',
  'AWS::Organizations::Policy': 'scp',
};

export function statementsOf(document: PolicyDocumentJson): PolicyStatementJson[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

/** The policy documents of one template, in resource order. */
export function policyDocumentsOf(template: TemplateJson, stack: string): FoundPolicyDocument[] {
  const found: FoundPolicyDocument[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const constructPath =
      typeof resource.Metadata?.['aws:cdk:path'] === 'string'
        ? (resource.Metadata['aws:cdk:path'] as string)
        : undefined;
    const visit = (value: unknown, property: string): void => {
      const doc = asDocument(value);
      if (doc) {
        const kind: PolicyKind =
          property === 'AssumeRolePolicyDocument' ? 'trust' : (KIND_BY_TYPE[resource.Type] ?? 'resource');
        found.push({
          location: {
            stack,
            logicalId,
            resourceType: resource.Type,
            property,
            ...(constructPath ? { constructPath } : {}),
          },
          kind,
          document: doc,
        });
        return;
      }
      if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${property}.${i}`));
      else if (value && typeof value === 'object' && !isIntrinsic(value)) {
        for (const [k, v] of Object.entries(value)) visit(v, property ? `${property}.${k}` : k);
      }
    };
    visit(resource.Properties ?? {}, '');
  }
  return found;
}

function asDocument(value: unknown): PolicyDocumentJson | undefined {
  if (typeof value === 'string' && value.includes('"Statement"')) {
    try {
      return asDocument(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && 'Statement' in value)
    return value as PolicyDocumentJson;
  return undefined;
}

function isIntrinsic(value: object): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}
