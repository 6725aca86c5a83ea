import { CfnResource, IAspect, RemovalPolicy } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Resource types that hold data or protect it; what "stateful" means for the retention rules. */
export const STATEFUL_RESOURCE_TYPES = new Set([
  'AWS::KMS::Key',
  'AWS::S3::Bucket',
  'AWS::Logs::LogGroup',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::SageMaker::FeatureGroup',
  'AWS::SageMaker::ModelPackageGroup',
  'AWS::SageMaker::ModelCard',
  'AWS::SNS::Topic',
  'AWS::SQS::Queue',
]);

/** Types that are retained even in a dev stack that may discard state: keys (irreversible) and audit data. */
const ALWAYS_RETAINED_TYPES = new Set([
  'AWS::KMS::Key',
  'AWS::SageMaker::ModelPackageGroup',
  'AWS::SageMaker::ModelCard',
]);

const PROTECTED = Symbol.for('regulated-mlops.always-retain');

/**
 * Sets the deletion and update-replace policies of every stateful resource.
 *
 * With `retain: true` (always in staging and prod) every stateful resource is
 * retained on stack deletion and on replacement. With `retain: false` (dev
 * only, by config) log groups, buckets, tables and queues go with the stack,
 * but keys and anything under a construct marked with `alwaysRetain()` (the
 * audit trail) are still retained.
 */
export class StatefulResourcePolicy implements IAspect {
  /** Marks a subtree as never discarded, whatever the environment allows. */
  static alwaysRetain(scope: IConstruct): void {
    (scope as unknown as Record<symbol, boolean>)[PROTECTED] = true;
  }

  static isAlwaysRetained(node: IConstruct): boolean {
    return node.node.scopes.some((s) => (s as unknown as Record<symbol, boolean>)[PROTECTED] === true);
  }

  constructor(private readonly retain: boolean) {}

  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node) || !STATEFUL_RESOURCE_TYPES.has(node.cfnResourceType)) return;
    const keep =
      this.retain || ALWAYS_RETAINED_TYPES.has(node.cfnResourceType) || StatefulResourcePolicy.isAlwaysRetained(node);
    node.applyRemovalPolicy(keep ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
  }
}
