/** The pipeline's pre-prod step: which versions it asks the staging deployment gate about, and how it fails closed. */
import { partitionOf } from '../constructs/aws-facts';
import { promotionsFor } from '../lib/delivery/promotions';
import { judgePromotion, InvokeGate } from '../lib/delivery/run-gate';
import { defaultEstateConfig } from './support/estate';

describe('promotions the prod gate step asks about', () => {
  const config = defaultEstateConfig();

  test('every packaged prod variant, judged by the staging gate against the staging endpoint, challengers against the champion', () => {
    const promotion = promotionsFor(config, 'prod', 'exec-1');
    expect(promotion.gateFunctionArn).toBe(
      'arn:aws:lambda:eu-west-1:222222222222:function:examplebank-staging-deployment-gate',
    );
    expect(promotion.requests).toEqual([
      {
        requestId: 'exec-1.credit-default.champion',
        modelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/credit-default/3',
        stagingEndpointName: 'staging-credit-default',
        championModelPackageArn: undefined,
      },
      {
        requestId: 'exec-1.credit-default.challenger',
        modelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/credit-default/4',
        stagingEndpointName: 'staging-credit-default',
        championModelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/credit-default/3',
      },
      {
        requestId: 'exec-1.fraud-score.champion',
        modelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/fraud-score/7',
        stagingEndpointName: 'staging-fraud-score',
        championModelPackageArn: undefined,
      },
    ]);
  });

  test('ARNs carry the partition of the staging region', () => {
    expect(['eu-west-1', 'us-gov-west-1', 'cn-north-1', 'us-iso-east-1', 'us-isob-east-1'].map(partitionOf)).toEqual([
      'aws',
      'aws-us-gov',
      'aws-cn',
      'aws-iso',
      'aws-iso-b',
    ]);
  });

  test('an environment that serves no package has nothing to judge; an unknown one is an error', () => {
    expect(promotionsFor(config, 'dev', 'x').requests).toEqual([]);
    expect(() => promotionsFor(config, 'qa', 'x')).toThrow(
      'qa is not an environment of this estate (known: dev, staging, prod)',
    );
  });
});

describe('the gate step fails closed', () => {
  const promotion = promotionsFor(defaultEstateConfig(), 'prod', 'exec-2');
  const answers = (answer: (n: number) => Awaited<ReturnType<InvokeGate>> | Error): InvokeGate => {
    let n = 0;
    return async () => {
      const a = answer(n++);
      if (a instanceof Error) throw a;
      return a;
    };
  };

  test('passes only when the gate says pass: true for every version', async () => {
    const verdicts = await judgePromotion(
      promotion,
      answers(() => ({ payload: { pass: true, reasons: [], record: 'deployment/x.json' } })),
    );
    expect(verdicts.map((v) => v.pass)).toEqual([true, true, true]);
    expect(verdicts[0].record).toBe('deployment/x.json');
  });

  test.each([
    [
      'a refusal',
      { payload: { pass: false, reasons: ['staging alarm credit-default-champion-errors-5xx is in ALARM'] } },
      'staging alarm credit-default-champion-errors-5xx is in ALARM',
    ],
    [
      'a function error',
      { functionError: 'Unhandled', payload: { errorMessage: 'boom' } },
      'the gate failed (Unhandled): {"errorMessage":"boom"}',
    ],
    ['an answer without a decision', { payload: { ok: true } }, 'the gate\'s answer is not a decision: {"ok":true}'],
    ['pass given as a string', { payload: { pass: 'true' } }, 'the gate\'s answer is not a decision: {"pass":"true"}'],
    ['no answer at all', { payload: null }, "the gate's answer is not a decision: null"],
    [
      'an invocation error',
      Object.assign(new Error('not authorized to perform lambda:InvokeFunction'), { name: 'AccessDeniedException' }),
      'the gate could not be invoked: AccessDeniedException: not authorized to perform lambda:InvokeFunction',
    ],
  ])('%s stops the promotion, with the reason', async (_name, answer, reason) => {
    const verdicts = await judgePromotion(
      promotion,
      answers((n) => (n === 1 ? (answer as any) : { payload: { pass: true, reasons: [] } })),
    );
    expect(verdicts.map((v) => v.pass)).toEqual([true, false, true]);
    expect(verdicts[1].reasons).toEqual([reason]);
  });
});

describe('pipeline capacity', () => {
  test("CodePipeline's quotas are checked at synth: 50 actions a stage, 50 stages a pipeline", () => {
    const { pipelineQuotaProblems } = require('../lib/delivery/pipeline-quotas');
    const stages = (n: number, actions = 50) => Array.from({ length: n }, (_, i) => ({ name: `s${i}`, actions }));
    expect(pipelineQuotaProblems(stages(50))).toEqual([]);
    expect(pipelineQuotaProblems([...stages(3), { name: 'prod.1', actions: 51 }])).toEqual([
      'delivery: pipeline stage prod.1 has 51 actions; CodePipeline allows 50 in one stage',
    ]);
    expect(pipelineQuotaProblems(stages(51, 2))).toEqual([
      'delivery: the pipeline has 51 stages (50 actions each at most, two per stack); CodePipeline allows 50. Deploy fewer environments through this pipeline or fewer endpoint shards per environment.',
    ]);
  });

  /**
   * An estate whose environments overflow one pipeline stage (two actions a
   * stack, 50 a stage) deploys through consecutive stages: every stage within
   * the quota, environments in order, and in prod the manual approval, then the
   * deployment gate, before the first stack.
   */
  test('a 30-model estate deploys through the pipeline: stages within quota, in order, prod stacks only after approval and gate', () => {
    const { App, Stack } = require('aws-cdk-lib');
    const { validateEstateConfig } = require('../lib/config/load');
    const { buildEstate, ESTATE_APP_PROPS } = require('../lib/estate');
    const { cdkJsonContext } = require('./support/estate');
    const { generatedEstate } = require('./support/generate-estate');
    const app = new App({ ...ESTATE_APP_PROPS, context: cdkJsonContext() });
    const estate = buildEstate(app, validateEstateConfig(generatedEstate(30, { delivery: true })));
    expect(estate.delivery!.node.validate()).toEqual([]);
    const template = app.synth({ validateOnSynthesis: false }).getStackByName(estate.delivery!.stackName).template;
    const [pipeline] = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::CodePipeline::Pipeline');
    const stages: {
      Name: string;
      Actions: { Name: string; RunOrder: number; ActionTypeId: { Provider: string } }[];
    }[] = pipeline.Properties.Stages;
    expect(stages.length).toBeLessThanOrEqual(50);
    for (const stage of stages) expect(stage.Actions.length).toBeLessThanOrEqual(50);
    const envOf = (name: string) => name.split('.')[0];
    const envs = stages
      .map((s) => envOf(s.Name))
      .filter((n, i, all) => ['dev', 'staging', 'prod'].includes(n) && all.indexOf(n) === i);
    expect(envs).toEqual(['dev', 'staging', 'prod']);
    // Each environment overflows one stage here, so the split is exercised.
    for (const env of envs) expect(stages.filter((s) => envOf(s.Name) === env).length).toBeGreaterThan(1);
    // Every stack of every environment is deployed (two actions each).
    for (const [name, stage] of Object.entries<any>(estate.stages)) {
      const stacks = stage.node.findAll().filter((c: any) => Stack.isStack(c)).length;
      const actions = stages
        .filter((s) => envOf(s.Name) === name)
        .flatMap((s) => s.Actions)
        .filter((a) => a.ActionTypeId.Provider === 'CloudFormation');
      expect(actions.length).toBe(stacks * 2);
    }
    // Prod: the first prod stage opens with the approval, then the gate, then the stacks.
    const prodStages = stages.filter((s) => envOf(s.Name) === 'prod');
    const sequence = prodStages.flatMap((s) =>
      [...s.Actions].sort((a, b) => a.RunOrder - b.RunOrder).map((a) => a.Name),
    );
    const first = prodStages[0].Actions;
    const runOrder = (n: string) => first.find((a) => a.Name === n)!.RunOrder;
    expect(runOrder('Approve-prod')).toBeLessThan(runOrder('DeploymentGate-prod'));
    const stackActions = first.filter((a) => a.ActionTypeId.Provider === 'CloudFormation');
    expect(Math.min(...stackActions.map((a) => a.RunOrder))).toBeGreaterThan(runOrder('DeploymentGate-prod'));
    expect(sequence.slice(0, 2)).toEqual(['Approve-prod', 'DeploymentGate-prod']);
  });
});
