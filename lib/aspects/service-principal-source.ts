import { CfnResource, IAspect, Lazy, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { actionDetails, actionSupportsKey } from '../../policies/validation/service-authorization';
import { isEventBridgeTargetKeyUse } from '../../policies/validation/eventbridge-key-use';

/** Where a resource type keeps its policy document. */
const DOCUMENT_PROPERTY: Record<string, string> = {
  'AWS::SNS::TopicPolicy': 'PolicyDocument',
  'AWS::SQS::QueuePolicy': 'PolicyDocument',
  'AWS::S3::BucketPolicy': 'PolicyDocument',
  'AWS::KMS::Key': 'KeyPolicy',
  'AWS::IAM::Role': 'AssumeRolePolicyDocument',
};

const SOURCE_KEYS = ['aws:sourceaccount', 'aws:sourcearn', 'aws:sourceorgid', 'aws:sourceorgpaths'];

/**
 * Closes the confused deputy on every grant to an AWS service: an Allow whose
 * principal is a service and that names no source gets `aws:SourceAccount` =
 * the stack's account, so the service acts here only on behalf of this
 * account's resources (IAM User Guide, "The confused deputy problem").
 *
 * Most grants the estate writes carry a source already; this catches those
 * aws-cdk-lib adds on our behalf (an SNS target's `grantPublish` to
 * events.amazonaws.com on the topic and its key, the trail's bucket
 * statements, the trust of CDK's own provider and pipeline roles). CloudWatch
 * Logs' key statement is scoped by its encryption context instead. A key
 * statement for EventBridge's delivery to encrypted topics and queues is left
 * without one: KMS never receives a source from that path, so a condition
 * would drop every event (policies/validation/eventbridge-key-use.ts).
 *
 * It also moves out of a service grant each named action that a condition
 * key of the statement does not apply to (per the Service Authorization
 * Reference), into a statement of its own without those keys: aws-cdk-lib's
 * event-bus key statement puts kms:DescribeKey under an encryption-context
 * condition that DescribeKey never carries, so EventBridge was never granted it.
 */
export class ServicePrincipalSource implements IAspect {
  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    const property = DOCUMENT_PROPERTY[node.cfnResourceType];
    if (!property) return;
    const stack = Stack.of(node);
    const original = (node as unknown as { _cfnProperties?: Record<string, unknown> })._cfnProperties;
    const typed = (node as unknown as Record<string, unknown>)[property[0].toLowerCase() + property.slice(1)];
    const document = typed ?? original?.[property];
    if (document === undefined) return;
    node.addPropertyOverride(
      property,
      Lazy.any({
        produce: () =>
          withSourceAccount(
            splitUngrantableActions(stack.resolve(document)),
            stack.account,
            node.cfnResourceType === 'AWS::KMS::Key',
          ),
      }),
    );
  }
}

/** The document with `aws:SourceAccount` added to each unsourced Allow to a service principal. */
export function withSourceAccount(document: unknown, account: string, keyPolicy = false): unknown {
  const doc = document as { Statement?: unknown };
  if (!doc || typeof doc !== 'object' || doc.Statement === undefined) return document;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const patched = statements.map((s: Record<string, any>) => {
    // Only a statement for services alone: the condition would shut out any other principal it names.
    if (
      s.Effect !== 'Allow' ||
      !s.Principal ||
      typeof s.Principal !== 'object' ||
      Object.keys(s.Principal).join() !== 'Service'
    )
      return s;
    const keys = Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap((t) =>
      Object.keys(t).map((k) => k.toLowerCase()),
    );
    if (keys.some((k) => SOURCE_KEYS.includes(k) || k === 'kms:encryptioncontext:aws:logs:arn')) return s;
    if (keyPolicy && isEventBridgeTargetKeyUse(s)) return s;
    const condition = { ...s.Condition };
    condition.StringEquals = { ...condition.StringEquals, 'aws:SourceAccount': account };
    return { ...s, Condition: condition };
  });
  return { ...doc, Statement: patched };
}

/** Splits each service-principal Allow whose named actions lack one of its service condition keys. */
export function splitUngrantableActions(document: unknown): unknown {
  const doc = document as { Statement?: unknown };
  if (!doc || typeof doc !== 'object' || doc.Statement === undefined) return document;
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Array<Record<string, any>>;
  const out = statements.flatMap((s) => {
    if (
      s.Effect !== 'Allow' ||
      !s.Principal ||
      typeof s.Principal !== 'object' ||
      s.Principal.Service === undefined ||
      !s.Condition
    )
      return [s];
    const actions = [s.Action].flat().filter((a): a is string => typeof a === 'string');
    if (actions.some((a) => a.includes('*'))) return [s];
    const serviceKeys = Object.values(s.Condition as Record<string, Record<string, unknown>>)
      .flatMap((t) => Object.keys(t))
      .filter((k) => !k.toLowerCase().startsWith('aws:'));
    const lacking = actions.filter((a) => {
      const [service, name] = a.split(':');
      const details = actionDetails(service, name);
      return details !== undefined && serviceKeys.some((k) => !actionSupportsKey(service, details, k));
    });
    if (lacking.length === 0 || lacking.length === actions.length) return [s];
    const globalOnly = Object.fromEntries(
      Object.entries(s.Condition as Record<string, Record<string, unknown>>)
        .map(([op, tests]) => [
          op,
          Object.fromEntries(Object.entries(tests).filter(([k]) => k.toLowerCase().startsWith('aws:'))),
        ])
        .filter(([, tests]) => Object.keys(tests as object).length > 0),
    );
    const { Sid, ...rest } = s;
    return [
      { ...s, Action: actions.filter((a) => !lacking.includes(a)) },
      {
        ...rest,
        ...(Sid ? { Sid: `${Sid}Describe`.replace(/[^A-Za-z0-9]/g, '') } : {}),
        Action: lacking.length === 1 ? lacking[0] : lacking,
        ...(Object.keys(globalOnly).length ? { Condition: globalOnly } : { Condition: undefined }),
      },
    ].map((x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)));
  });
  return { ...doc, Statement: out };
}
