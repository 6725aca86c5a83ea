/** CodePipeline's quotas (AWS CodePipeline user guide, "Quotas in AWS CodePipeline"). */
export const MAX_ACTIONS_PER_STAGE = 50;
export const MAX_STAGES_PER_PIPELINE = 50;

/**
 * CDK Pipelines already spreads a CDK Stage of more than 50 actions (two per
 * stack) over consecutive pipeline stages `<env>.1`, `<env>.2`, ... in
 * dependency order, so an environment of any number of endpoint shards
 * deploys; what bounds a pipeline is the number of stages. Checked at synth,
 * so that an estate CodePipeline would refuse fails here with the reason.
 */
export function pipelineQuotaProblems(
  stages: ReadonlyArray<{ readonly name: string; readonly actions: number }>,
): string[] {
  const problems = stages
    .filter((s) => s.actions > MAX_ACTIONS_PER_STAGE)
    .map(
      (s) =>
        `delivery: pipeline stage ${s.name} has ${s.actions} actions; CodePipeline allows ${MAX_ACTIONS_PER_STAGE} in one stage`,
    );
  if (stages.length > MAX_STAGES_PER_PIPELINE) {
    problems.push(
      `delivery: the pipeline has ${stages.length} stages (${MAX_ACTIONS_PER_STAGE} actions each at most, two per stack); CodePipeline allows ${MAX_STAGES_PER_PIPELINE}. ` +
        'Deploy fewer environments through this pipeline or fewer endpoint shards per environment.',
    );
  }
  return problems;
}
