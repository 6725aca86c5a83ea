import { segmentAlarmName } from '../../../constructs/estate-monitoring';
import { monitorsQuality } from '../../../lib/config';
import { segmentArgument, segmentArguments } from '../../../lib/config/segments';
import type { EstateUnderTest, Resource } from '../suite';

/** A template string or Fn::Join (tokens read as "TOKEN") as an object. */
const parsed = (value: unknown): any =>
  JSON.parse(
    typeof value === 'string'
      ? value
      : ((value as any)['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''),
  );

/** A pipeline step by name, wherever it is nested (the guard's condition holds the run's steps). */
function stepNamed(node: any, name: string): any {
  if (Array.isArray(node)) return node.map((n) => stepNamed(n, name)).find(Boolean);
  if (!node || typeof node !== 'object') return undefined;
  if (node.Name === name && node.Arguments) return node;
  return Object.values(node)
    .map((v) => stepNamed(v, name))
    .find(Boolean);
}

/**
 * Segments, on any estate: every segment a model declares is computed by its Evaluate step and by
 * the estate's monitoring of each of its endpoints, and every critical segment of a monitored
 * endpoint has its drift, score-drift and (with model-quality monitoring) quality alarms, enabled
 * and notifying, and starts retraining where the model retrains on alarms there.
 */
export default function segments(estate: EstateUnderTest): void {
  const { config, ofType, shardStackOf } = estate;
  const segmented = config.models.filter((m) => m.segmentation);
  if (segmented.length === 0) return; // nothing declared, nothing promised

  for (const env of config.environments) {
    describe(`segments (${env.name})`, () => {
      const trained = segmented.filter((m) => m.training?.environments.includes(env.name));
      if (trained.length > 0) {
        test("the Evaluate step of every retraining pipeline here computes each of its model's segments and stress scenarios", () => {
          for (const model of trained) {
            const pipelines = ofType(shardStackOf(env.name, model.id), 'AWS::SageMaker::Pipeline').filter(
              ([, p]) => p.Properties.PipelineName === `${env.name}-${model.id}-training`,
            );
            expect(pipelines).toHaveLength(1);
            const definition = parsed(pipelines[0][1].Properties.PipelineDefinition.PipelineDefinitionBody);
            const evaluate = stepNamed(definition, 'Evaluate');
            const args: string[] = evaluate.Arguments.AppSpecification.ContainerArguments;
            expect(args.slice(args.indexOf('--segment'))).toEqual(segmentArguments(model.segmentation));
          }
        });
      }

      const monitored =
        env.monitoringService === 'estate'
          ? segmented.filter((m) => {
              const ep = m.endpoints[env.name];
              if (!ep || ep.awaitingApproval) return false;
              const spec = ep.monitoring ?? { dataQuality: env.type === 'prod', modelQuality: env.type === 'prod' };
              return spec.dataQuality || spec.modelQuality;
            })
          : [];
      if (monitored.length === 0) return;

      test('the monitoring job of every monitored endpoint computes each segment, and each critical segment has live, notifying alarms', () => {
        for (const model of monitored) {
          const stack = shardStackOf(env.name, model.id);
          const endpoint = `${env.name}-${model.id}`;
          const machines = ofType(stack, 'AWS::StepFunctions::StateMachine')
            .map(([, m]) => parsed(m.Properties.DefinitionString))
            .filter((d) => JSON.stringify(d).includes(`capture/${endpoint}/`));
          expect(machines).toHaveLength(1);
          const args: string = machines[0].States.Analyse.Arguments.AppSpecification.ContainerArguments;
          for (const s of model.segmentation!.segments)
            expect(args).toContain(`"--segment", ${JSON.stringify(segmentArgument(s))}`);
          const alarms = new Map(
            ofType(stack, 'AWS::CloudWatch::Alarm').map(([id, a]: [string, Resource]) => [
              a.Properties.AlarmName,
              { id, ...a.Properties },
            ]),
          );
          const quality = monitorsQuality(env, model.endpoints[env.name]);
          for (const s of model.segmentation!.segments.filter((x) => x.critical)) {
            const kinds: Array<'drift' | 'score-drift' | 'quality'> = [
              'drift',
              'score-drift',
              ...(quality &&
              (model.problemType === 'binary_classification' || (s.floors?.maxRmse ?? model.maxRmse) !== undefined)
                ? (['quality'] as const)
                : []),
            ];
            for (const kind of kinds) {
              const alarm = alarms.get(segmentAlarmName(endpoint, s.name, kind));
              expect([segmentAlarmName(endpoint, s.name, kind), alarm !== undefined]).toEqual([
                segmentAlarmName(endpoint, s.name, kind),
                true,
              ]);
              expect(alarm!.Dimensions).toEqual([
                { Name: 'Endpoint', Value: endpoint },
                { Name: 'Segment', Value: s.name },
              ]);
              expect(alarm!.ActionsEnabled ?? true).toBe(true);
              expect(alarm!.AlarmActions.length).toBeGreaterThan(0);
            }
          }
          // Where the model retrains on alarms here, its trigger listens to the critical segments' alarms.
          if (model.training?.onAlarm && model.training.environments.includes(env.name)) {
            const rules = ofType(stack, 'AWS::Events::Rule').filter(([id]) => id.includes('OnQualityAlarm'));
            expect(rules).toHaveLength(1);
            const listened = JSON.stringify(rules[0][1].Properties.EventPattern.resources);
            for (const s of model.segmentation!.segments.filter((x) => x.critical)) {
              expect(listened).toContain(`"${alarms.get(segmentAlarmName(endpoint, s.name, 'drift'))!.id}"`);
            }
          }
        }
      });
    });
  }
}
