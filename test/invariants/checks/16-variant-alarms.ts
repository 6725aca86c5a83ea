import { endpointName } from '../../../lib/delivery/names';
import type { EstateUnderTest, Resource } from '../suite';

/**
 * The metrics SageMaker publishes per endpoint and variant whose alarms the deployment gate requires of a serving
 * variant.
 */
const REQUIRED = [
  { kind: '5XX errors', metricName: 'Invocation5XXErrors' },
  { kind: 'latency', metricName: 'ModelLatency' },
];

/**
 * Variant alarms, on any estate: every variant of every deployed endpoint, the shadow variant included, has an
 * enabled, notifying 5XX-errors alarm and latency alarm on exactly its own dimensions {EndpointName, VariantName},
 * firing when the metric rises and named under the endpoint (the deployment gate lists `<endpoint>-` alarms and
 * requires these of the variant that serves the version it promotes).
 */
export default function variantAlarms(estate: EstateUnderTest): void {
  const { config, ofType, shardStackOf } = estate;
  for (const env of config.environments) {
    const deployed = config.models.filter((m) => m.endpoints[env.name] && !m.endpoints[env.name].awaitingApproval);
    if (deployed.length === 0) continue;
    describe(`variant alarms (${env.name})`, () => {
      test('every variant, shadow included, has a 5XX-errors and a latency alarm on exactly {EndpointName, VariantName}', () => {
        for (const model of deployed) {
          const ep = model.endpoints[env.name];
          const name = endpointName(env.name, model.id);
          const alarms = ofType(shardStackOf(env.name, model.id), 'AWS::CloudWatch::Alarm').map(
            ([, a]: [string, Resource]) => a.Properties,
          );
          for (const variant of [...ep.variants.map((v) => v.name), ...(ep.shadow ? [ep.shadow.name] : [])]) {
            for (const { kind, metricName } of REQUIRED) {
              const own = alarms.filter(
                (a) =>
                  a.Namespace === 'AWS/SageMaker' &&
                  a.MetricName === metricName &&
                  JSON.stringify(a.Dimensions) ===
                    JSON.stringify([
                      { Name: 'EndpointName', Value: name },
                      { Name: 'VariantName', Value: variant },
                    ]) &&
                  ['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold'].includes(a.ComparisonOperator) &&
                  (a.ActionsEnabled ?? true) &&
                  (a.AlarmActions ?? []).length > 0 &&
                  typeof a.AlarmName === 'string' &&
                  a.AlarmName.startsWith(`${name}-`),
              );
              expect([name, variant, kind, own.length > 0]).toEqual([name, variant, kind, true]);
            }
          }
        }
      });
    });
  }
}
