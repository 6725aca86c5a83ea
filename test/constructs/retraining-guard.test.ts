/**
 * RetrainingGuard on its own: the named gate function every training
 * pipeline asks first, with at most two concurrent runs, that may read the
 * runs of the given pipelines and nothing else.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetrainingGuard } from '../../constructs/retraining-guard';

function build() {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const guard = new RetrainingGuard(stack, 'RetrainingGuard', {
    functionName: 'bank-dev-retraining-guard',
    pipelines: { 'dev-credit-default-training': { cooldownHours: 6, maxRunsPerDay: 2 } },
    pipelineNamePattern: 'dev-*-training',
    vpc,
    encryptionKey: new kms.Key(stack, 'MlKey'),
    logsKey: new kms.Key(stack, 'LogsKey'),
  });
  return { stack, guard, template: Template.fromStack(stack) };
}

describe('RetrainingGuard', () => {
  const { template } = build();
  const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (p: any) => p.Properties.PolicyDocument.Statement,
  );

  test('the named function, at most two concurrent runs', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'bank-dev-retraining-guard',
      ReservedConcurrentExecutions: 2,
    });
  });

  test('reads the runs and steps of the given pipelines only, nothing else of SageMaker', () => {
    const sagemaker = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('sagemaker:')));
    expect(sagemaker.map((s: any) => [s.Sid, s.Action])).toEqual([
      ['ReadRetrainingRuns', 'sagemaker:ListPipelineExecutions'],
      ['ReadRetrainingSteps', 'sagemaker:ListPipelineExecutionSteps'],
    ]);
    expect(JSON.stringify(sagemaker[0].Resource)).toMatch(/:pipeline\/dev-\*-training"/);
    expect(JSON.stringify(sagemaker[1].Resource)).toMatch(/:pipeline\/dev-\*-training\/execution\/\*"/);
  });
});
