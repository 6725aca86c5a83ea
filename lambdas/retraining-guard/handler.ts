/**
 * Retraining guard: the first step of every retraining pipeline (a SageMaker
 * Pipelines Lambda step). Lists the pipeline's recent executions, applies
 * `decideRetraining`, and returns `allowed` and `reason` as the step's output
 * parameters; the pipeline's condition step stops a refused run with the reason.
 */
import * as fs from 'node:fs';
import {
  ListPipelineExecutionStepsCommand,
  ListPipelineExecutionsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { decideRetraining, ExecutionView, GuardDecision, RetrainingBudget } from './policy';

export interface GuardEvent {
  readonly pipelineName?: string;
  readonly executionArn?: string;
  readonly trigger?: string;
}

export interface GuardConfig {
  /** Budget per pipeline name. */
  readonly pipelines: Record<string, RetrainingBudget>;
}

export interface GuardDeps {
  readonly sagemaker: SageMakerClient;
  readonly config: GuardConfig;
  readonly now?: () => Date;
}

export function retrainingGuard(deps: GuardDeps) {
  const now = deps.now ?? (() => new Date());
  return async function handle(event: GuardEvent): Promise<GuardDecision> {
    const pipeline = typeof event?.pipelineName === 'string' ? event.pipelineName : '';
    const current = typeof event?.executionArn === 'string' ? event.executionArn : '';
    const budget = Object.prototype.hasOwnProperty.call(deps.config.pipelines, pipeline)
      ? deps.config.pipelines[pipeline]
      : undefined;
    const at = now();
    let executions: ExecutionView[] | { error: string };
    try {
      executions = budget
        ? await recent(pipeline, new Date(at.getTime() - Math.max(24, budget.cooldownHours) * 3_600_000))
        : [];
    } catch (e) {
      executions = { error: `${(e as Error).name}: ${(e as Error).message}`.slice(0, 200) };
    }
    return decideRetraining(budget, executions, current, at);
  };

  async function recent(pipeline: string, since: Date): Promise<ExecutionView[]> {
    const views: ExecutionView[] = [];
    let next: string | undefined;
    do {
      const page = await deps.sagemaker.send(
        new ListPipelineExecutionsCommand({
          PipelineName: pipeline,
          CreatedAfter: since,
          NextToken: next,
          MaxResults: 50,
        }),
      );
      for (const e of page.PipelineExecutionSummaries ?? []) {
        views.push({ arn: e.PipelineExecutionArn ?? '', status: e.PipelineExecutionStatus, startedAt: e.StartTime });
      }
      next = page.NextToken;
    } while (next);
    // A run that went past the guard has steps beyond it; a refused one stops at the condition.
    return Promise.all(
      views.map(async (v) => (v.status === 'Succeeded' ? v : { ...v, proceeded: await proceeded(v.arn) })),
    );
  }

  async function proceeded(executionArn: string): Promise<boolean> {
    try {
      const steps = await deps.sagemaker.send(
        new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: executionArn }),
      );
      const names = (steps.PipelineExecutionSteps ?? []).map((s) => s.StepName);
      return !names.includes('RetrainingBudgetSpent');
    } catch {
      return true; // unknown: count it, the safe side of a storm
    }
  }
}

let bound: ((event: GuardEvent) => Promise<GuardDecision>) | undefined;

export async function handler(event: GuardEvent): Promise<GuardDecision> {
  if (!bound) {
    const config = JSON.parse(fs.readFileSync('/opt/gate-config.json', 'utf8')) as GuardConfig;
    bound = retrainingGuard({
      sagemaker: new SageMakerClient({ maxAttempts: 4 }),
      config: { pipelines: config.pipelines ?? {} },
    });
  }
  return bound(event);
}
