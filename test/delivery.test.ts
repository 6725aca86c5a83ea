/** The pipeline's pre-prod step: which versions it asks the staging deployment gate about, and how it fails closed. */
import { partitionOf, promotionsFor } from '../lib/delivery/promotions';
import { judgePromotion, InvokeGate } from '../lib/delivery/run-gate';
import { defaultEstateConfig } from './support/estate';

describe('promotions the prod gate step asks about', () => {
  const config = defaultEstateConfig();

  test('every packaged prod variant, judged by the staging gate against the staging endpoint, challengers against the champion', () => {
    const promotion = promotionsFor(config, 'prod', 'exec-1');
    expect(promotion.gateFunctionArn).toBe('arn:aws:lambda:eu-west-1:222222222222:function:examplebank-staging-deployment-gate');
    expect(promotion.requests).toEqual([
      { requestId: 'exec-1.credit-default.champion', modelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/credit-default/3', stagingEndpointName: 'staging-credit-default', championModelPackageArn: undefined },
      {
        requestId: 'exec-1.credit-default.challenger',
        modelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/credit-default/4',
        stagingEndpointName: 'staging-credit-default',
        championModelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/credit-default/3',
      },
      { requestId: 'exec-1.fraud-score.champion', modelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/fraud-score/7', stagingEndpointName: 'staging-fraud-score', championModelPackageArn: undefined },
    ]);
  });

  test('ARNs carry the partition of the staging region', () => {
    expect(['eu-west-1', 'us-gov-west-1', 'cn-north-1', 'us-iso-east-1', 'us-isob-east-1'].map(partitionOf)).toEqual(['aws', 'aws-us-gov', 'aws-cn', 'aws-iso', 'aws-iso-b']);
  });

  test('an environment that serves no package has nothing to judge; an unknown one is an error', () => {
    expect(promotionsFor(config, 'dev', 'x').requests).toEqual([]);
    expect(() => promotionsFor(config, 'qa', 'x')).toThrow('qa is not an environment of this estate (known: dev, staging, prod)');
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
    const verdicts = await judgePromotion(promotion, answers(() => ({ payload: { pass: true, reasons: [], record: 'deployment/x.json' } })));
    expect(verdicts.map((v) => v.pass)).toEqual([true, true, true]);
    expect(verdicts[0].record).toBe('deployment/x.json');
  });

  test.each([
    ['a refusal', { payload: { pass: false, reasons: ['staging alarm credit-default-champion-errors-5xx is in ALARM'] } }, 'staging alarm credit-default-champion-errors-5xx is in ALARM'],
    ['a function error', { functionError: 'Unhandled', payload: { errorMessage: 'boom' } }, 'the gate failed (Unhandled): {"errorMessage":"boom"}'],
    ['an answer without a decision', { payload: { ok: true } }, 'the gate\'s answer is not a decision: {"ok":true}'],
    ['pass given as a string', { payload: { pass: 'true' } }, 'the gate\'s answer is not a decision: {"pass":"true"}'],
    ['no answer at all', { payload: null }, "the gate's answer is not a decision: null"],
    ['an invocation error', Object.assign(new Error('not authorized to perform lambda:InvokeFunction'), { name: 'AccessDeniedException' }), 'the gate could not be invoked: AccessDeniedException: not authorized to perform lambda:InvokeFunction'],
  ])('%s stops the promotion, with the reason', async (_name, answer, reason) => {
    const verdicts = await judgePromotion(promotion, answers((n) => (n === 1 ? (answer as any) : { payload: { pass: true, reasons: [] } })));
    expect(verdicts.map((v) => v.pass)).toEqual([true, false, true]);
    expect(verdicts[1].reasons).toEqual([reason]);
  });
});

describe('pipeline capacity', () => {
  test('an environment whose stacks overflow one CodePipeline stage is refused at synth, with the reason', () => {
    const { pipelineStageProblems } = require('../lib/stacks/delivery-stack');
    expect(pipelineStageProblems('dev', 7, 0)).toEqual([]);
    expect(pipelineStageProblems('prod', 24, 2)).toEqual([]);
    expect(pipelineStageProblems('prod', 25, 2)).toEqual([
      'delivery: prod has 25 stacks, 52 pipeline actions with its pre-steps; CodePipeline allows 50 in one stage. Fewer models per environment fit one pipeline; deploy the endpoint shards of a larger estate with cdk deploy, or leave delivery out.',
    ]);
  });
});

test('the check is wired: a 30-model estate with a pipeline reports every environment that overflows', () => {
  const { App } = require('aws-cdk-lib');
  const { validateEstateConfig } = require('../lib/config/load');
  const { buildEstate } = require('../lib/estate');
  const { cdkJsonContext } = require('./support/estate');
  const { generatedEstate } = require('./support/generate-estate');
  const estate = buildEstate(new App({ context: cdkJsonContext() }), validateEstateConfig(generatedEstate(30, { delivery: true })));
  const problems: string[] = estate.delivery!.node.validate();
  expect(problems.map((p) => p.split(' has ')[0]).sort()).toEqual(['delivery: dev', 'delivery: prod', 'delivery: staging']);
});
