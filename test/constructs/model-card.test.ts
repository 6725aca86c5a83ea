/**
 * ModelCard on its own: a Draft card named after the model, encrypted with the given key, tagged with the model's id
 * and tier, its risk rating from the tier, and an unstated intended use said to be unstated.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ModelCard } from '../../constructs/model-card';

describe('ModelCard', () => {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'MlKey');
  const common = { owner: 'owner@example.com', encryptionKey: key } as const;
  new ModelCard(stack, 'Stated', {
    ...common,
    modelId: 'fraud-score',
    riskTier: 'high',
    problemType: 'binary_classification',
    intendedUse: 'Scores card transactions for fraud review.',
  });
  new ModelCard(stack, 'Unstated', {
    ...common,
    modelId: 'deposit-forecast',
    riskTier: 'low',
    problemType: 'regression',
  });
  const template = Template.fromStack(stack);
  const card = (name: string) =>
    (Object.values(template.findResources('AWS::SageMaker::ModelCard')) as any[]).find(
      (c) => c.Properties.ModelCardName === name,
    ).Properties;

  test('a Draft card named after the model, on the given key, tagged with its id and tier', () => {
    const stated = card('fraud-score');
    expect(stated.ModelCardStatus).toBe('Draft');
    expect(stated.SecurityConfig).toEqual({
      KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
    });
    expect(stated.Tags).toEqual([
      { Key: 'model:id', Value: 'fraud-score' },
      { Key: 'model:risk-tier', Value: 'high' },
    ]);
  });

  test('its overview, intended use and risk rating follow the model and its tier', () => {
    expect(card('fraud-score').Content).toMatchObject({
      ModelOverview: {
        ModelName: 'fraud-score',
        ModelOwner: 'owner@example.com',
        ProblemType: 'Binary Classification',
      },
      IntendedUses: { IntendedUses: 'Scores card transactions for fraud review.', RiskRating: 'High' },
    });
    expect(card('deposit-forecast').Content).toMatchObject({
      ModelOverview: { ProblemType: 'Regression' },
      IntendedUses: { RiskRating: 'Low', IntendedUses: expect.stringMatching(/^Not yet stated: the model owner must/) },
    });
  });
});
