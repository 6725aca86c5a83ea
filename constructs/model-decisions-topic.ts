import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface ModelDecisionsTopicProps {
  /** Name of the environment, in the topic's display name. */
  readonly environment: string;
  /** Key of the topic; CloudWatch alarms and EventBridge may use it to publish. */
  readonly encryptionKey: kms.IKey;
}

/**
 * An environment's topic of model decisions, endpoint alarms and training failures, KMS-encrypted and SSL only. Its
 * key lets CloudWatch (alarms of this account) and EventBridge (pipeline events) publish to it: EventBridge's delivery
 * to an encrypted topic sends KMS no source, so its statement has no condition (policies/validation/
 * eventbridge-key-use.ts); the topic policy keeps the source.
 */
export class ModelDecisionsTopic extends sns.Topic {
  constructor(scope: Construct, id: string, props: ModelDecisionsTopicProps) {
    super(scope, id, {
      displayName: `${props.environment} model decisions, endpoint alarms and training failures`,
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    props.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsPublishToTheModelTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    props.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventsPublishToTheModelTopic',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
  }
}
