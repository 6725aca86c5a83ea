/**
 * Periodic review reminder: on each tier's schedule, finds the models of that
 * tier due for review and notifies their owners (one SNS message per model,
 * with an `owner` attribute that subscriptions can filter on).
 */
import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GateConfig, loadGateConfig } from '../shared/gate-config';
import { dueForReview } from './policy';

export interface ReminderEvent {
  readonly tier?: string;
}

export interface ReminderDeps {
  readonly sagemaker: SageMakerClient;
  readonly sns: SNSClient;
  readonly config: GateConfig;
  readonly topicArn: string;
  readonly now?: () => Date;
}

export interface ReminderResult {
  readonly tier: string;
  readonly due: Array<{ model: string; owner: string; lastApproved: string }>;
}

export function reviewReminder(deps: ReminderDeps) {
  return async function handle(event: ReminderEvent): Promise<ReminderResult> {
    const tier = event?.tier;
    const policy =
      typeof tier === 'string' && Object.prototype.hasOwnProperty.call(deps.config.tiers, tier)
        ? deps.config.tiers[tier]
        : undefined;
    if (!tier || !policy)
      throw new Error(
        `unknown risk tier ${JSON.stringify(tier)}: the schedule's input names no tier of the estate config`,
      );
    const models = deps.config.models.filter((m) => m.riskTier === tier);
    const lastApproved = new Map<string, Date | undefined>();
    for (const model of models) {
      const list = await deps.sagemaker.send(
        new ListModelPackagesCommand({
          ModelPackageGroupName: model.packageGroupName,
          ModelApprovalStatus: 'Approved',
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
          MaxResults: 1,
        }),
      );
      const latest = list.ModelPackageSummaryList?.[0];
      if (!latest?.ModelPackageArn) {
        lastApproved.set(model.id, undefined);
        continue;
      }
      const described = await deps.sagemaker.send(
        new DescribeModelPackageCommand({ ModelPackageName: latest.ModelPackageArn }),
      );
      lastApproved.set(model.id, described.LastModifiedTime ?? described.CreationTime);
    }
    const due = dueForReview(models, tier, policy.reviewEveryMonths, lastApproved, (deps.now ?? (() => new Date()))());
    for (const d of due) {
      await deps.sns.send(
        new PublishCommand({
          TopicArn: deps.topicArn,
          Subject: `Periodic review due: ${d.model.id} (${tier} risk)`.slice(0, 100),
          Message: `${d.model.id} was last approved on ${d.lastApproved.toISOString().slice(0, 10)}; ${tier}-risk models are reviewed every ${policy.reviewEveryMonths} month(s), so a review has been due since ${d.dueSince.toISOString().slice(0, 10)}. Owner: ${d.model.owner}.`,
          MessageAttributes: {
            owner: { DataType: 'String', StringValue: d.model.owner },
            model: { DataType: 'String', StringValue: d.model.id },
          },
        }),
      );
    }
    return {
      tier,
      due: due.map((d) => ({ model: d.model.id, owner: d.model.owner, lastApproved: d.lastApproved.toISOString() })),
    };
  };
}

let bound: ((event: ReminderEvent) => Promise<ReminderResult>) | undefined;

export async function handler(event: ReminderEvent): Promise<ReminderResult> {
  if (!bound) {
    const topicArn = process.env.TOPIC_ARN;
    if (!topicArn) throw new Error('environment variable TOPIC_ARN is not set');
    bound = reviewReminder({
      sagemaker: new SageMakerClient({ maxAttempts: 4 }),
      sns: new SNSClient({ maxAttempts: 4 }),
      config: loadGateConfig(),
      topicArn,
    });
  }
  return bound(event);
}
