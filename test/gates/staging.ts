/**
 * A staging endpoint on moto that serves given package versions, its per-variant alarms, and the traffic it answered.
 */
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';

let configs = 0;

export interface StagingOptions {
  /**
   * The variants that get the alarms constructs/model-endpoint/alarms.ts makes for every variant it deploys (a
   * 5XX-errors and a p99-latency alarm on {EndpointName, VariantName}, set OK now). Default: every variant, when the
   * endpoint is created; none when an existing endpoint is re-pointed (an UpdateEndpoint creates no alarm).
   */
  readonly alarmedVariants?: readonly string[];
}

/** Creates (or re-points) `endpoint` at a new config whose variants serve the packages, by variant name. */
export async function stagingEndpoint(
  sagemaker: SageMakerClient,
  endpoint: string,
  variants: Record<string, string>,
  create = true,
  weights: Record<string, number> = {},
  options: StagingOptions = {},
): Promise<string> {
  const n = ++configs;
  const production = [];
  for (const [variant, packageArn] of Object.entries(variants)) {
    const model = `${endpoint}-${variant}-${n}`.slice(0, 63);
    await sagemaker.send(
      new CreateModelCommand({
        ModelName: model,
        ExecutionRoleArn: 'arn:aws:iam::123456789012:role/endpoint',
        PrimaryContainer: { ModelPackageName: packageArn },
      }),
    );
    production.push({
      VariantName: variant,
      ModelName: model,
      InitialInstanceCount: 1,
      InstanceType: 'ml.m5.large' as const,
      InitialVariantWeight: weights[variant] ?? 1,
    });
  }
  const config = `${endpoint}-config-${n}`.slice(0, 63);
  await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: config, ProductionVariants: production }));
  if (create) await sagemaker.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  const alarmed = options.alarmedVariants ?? (create ? Object.keys(variants) : []);
  if (alarmed.length > 0) {
    // The same moto server answers every service: a CloudWatch client from the SageMaker client's own settings.
    const cloudwatch = new CloudWatchClient({
      region: await sagemaker.config.region(),
      endpoint: await sagemaker.config.endpoint!(),
      credentials: sagemaker.config.credentials,
      maxAttempts: 2,
    });
    for (const variant of alarmed) await variantAlarms(cloudwatch, endpoint, variant);
  }
  return config;
}

/**
 * The 5XX-errors and p99-latency alarms constructs/model-endpoint/alarms.ts makes for a variant, set OK now; returns
 * their names.
 */
export async function variantAlarms(
  cloudwatch: CloudWatchClient,
  endpoint: string,
  variant: string,
  dimensions = [
    { Name: 'EndpointName', Value: endpoint },
    { Name: 'VariantName', Value: variant },
  ],
): Promise<string[]> {
  const made = [
    {
      AlarmName: `${endpoint}-${variant}-errors-5xx`,
      MetricName: 'Invocation5XXErrors',
      Statistic: 'Sum' as const,
      Threshold: 5,
      DatapointsToAlarm: 2,
    },
    {
      AlarmName: `${endpoint}-${variant}-latency-p99`,
      MetricName: 'ModelLatency',
      ExtendedStatistic: 'p99',
      Threshold: 1_000_000,
      DatapointsToAlarm: 3,
    },
  ];
  for (const a of made) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        ...a,
        Namespace: 'AWS/SageMaker',
        Dimensions: dimensions,
        Period: 60,
        EvaluationPeriods: 3,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    );
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: a.AlarmName, StateValue: 'OK', StateReason: 'test' }));
  }
  return made.map((a) => a.AlarmName);
}

/** Invocations the variant answered, `minutesAgo` before now, as SageMaker reports them to CloudWatch. */
export async function traffic(
  cloudwatch: CloudWatchClient,
  endpoint: string,
  variant: string,
  count: number,
  minutesAgo = 5,
): Promise<void> {
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

/** The endpoint-wide 5XX alarm (`<endpoint>-5xx`) the deployment gate reads, set to `state` now. */
export async function endpointAlarm(
  cloudwatch: CloudWatchClient,
  endpoint: string,
  state: 'OK' | 'ALARM' = 'OK',
): Promise<void> {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: `${endpoint}-5xx`,
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: `${endpoint}-5xx`, StateValue: state, StateReason: 'test' }),
  );
}

/**
 * `endpoint` serving `challenger` in its variant `challenger`, its 5XX alarm quiet, and 500 requests the challenger
 * answered, stamped 30 minutes ahead so that a deployment gate whose clock is past the bake counts them.
 */
export async function servedChallenger(
  clients: { readonly sagemaker: SageMakerClient; readonly cloudwatch: CloudWatchClient },
  endpoint: string,
  challenger: string,
): Promise<void> {
  await endpointAlarm(clients.cloudwatch, endpoint);
  await stagingEndpoint(clients.sagemaker, endpoint, { challenger });
  await traffic(clients.cloudwatch, endpoint, 'challenger', 500, -30);
}
