/** A staging endpoint on moto that serves given package versions, and the traffic it answered. */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';

let configs = 0;

/** Creates (or re-points) `endpoint` at a new config whose variants serve the packages, by variant name. */
export async function stagingEndpoint(sagemaker: SageMakerClient, endpoint: string, variants: Record<string, string>, create = true, weights: Record<string, number> = {}): Promise<string> {
  const n = ++configs;
  const production = [];
  for (const [variant, packageArn] of Object.entries(variants)) {
    const model = `${endpoint}-${variant}-${n}`.slice(0, 63);
    await sagemaker.send(new CreateModelCommand({ ModelName: model, ExecutionRoleArn: 'arn:aws:iam::123456789012:role/endpoint', PrimaryContainer: { ModelPackageName: packageArn } }));
    production.push({ VariantName: variant, ModelName: model, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' as const, InitialVariantWeight: weights[variant] ?? 1 });
  }
  const config = `${endpoint}-config-${n}`.slice(0, 63);
  await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: config, ProductionVariants: production }));
  if (create) await sagemaker.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  return config;
}

/** Invocations the variant answered, `minutesAgo` before now, as SageMaker reports them to CloudWatch. */
export async function traffic(cloudwatch: CloudWatchClient, endpoint: string, variant: string, count: number, minutesAgo = 5): Promise<void> {
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: 'AWS/SageMaker',
      MetricData: [
        {
          MetricName: 'Invocations',
          Dimensions: [
            { Name: 'EndpointName', Value: endpoint },
            { Name: 'VariantName', Value: variant },
          ],
          Timestamp: new Date(Date.now() - minutesAgo * 60_000),
          Value: count,
          Unit: 'None',
        },
      ],
    }),
  );
}
