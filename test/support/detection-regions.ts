/**
 * The detective controls of every allowed region, checked over a synthesized
 * cloud assembly: each environment has, in each region the organization
 * allows, the Config recorder, the GuardDuty detector, Security Hub and the
 * alert rules, and every alert raised outside the home region reaches the
 * home region's findings topic. Shared by the test files that run it on
 * different estates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EstateConfig } from '../../lib/config';
import { SynthesizedEstate, synthesizeEstate } from './estate';

type Resource = { Type: string; Properties?: any };

/** Each stack of the assembly: its template and the account and region its manifest deploys it to. */
export function assemblyStacks(
  outdir: string,
): Array<{ templateFile: string; account: string; region: string; stackName: string }> {
  const out: Array<{ templateFile: string; account: string; region: string; stackName: string }> = [];
  const walk = (dir: string) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    for (const artifact of Object.values<any>(manifest.artifacts ?? {})) {
      if (artifact.type === 'aws:cloudformation:stack') {
        const env = /^aws:\/\/(\d{12})\/([a-z0-9-]+)$/.exec(artifact.environment);
        if (!env)
          throw new Error(`stack ${artifact.displayName} has no explicit account and region: ${artifact.environment}`);
        const [, account, region] = env;
        out.push({
          templateFile: path.join(dir, artifact.properties.templateFile),
          account,
          region,
          stackName: artifact.properties.stackName ?? artifact.displayName,
        });
      } else if (artifact.type === 'cdk:cloud-assembly') {
        walk(path.join(dir, artifact.properties.directoryName));
      }
    }
  };
  walk(outdir);
  return out;
}

const ofType = (t: Record<string, Resource>, type: string) => Object.entries(t).filter(([, r]) => r.Type === type);

export function detectionRegionChecks(name: string, load: () => EstateConfig): void {
  describe(`detective controls in every allowed region of every environment: ${name}`, () => {
    let config: EstateConfig;
    let synth: SynthesizedEstate;
    let stacks: ReturnType<typeof assemblyStacks>;
    const template = (file: string): Record<string, Resource> => JSON.parse(fs.readFileSync(file, 'utf8')).Resources;
    /** The stack of an environment in a region that holds its detective controls. */
    const controlsOf = (envName: string, region: string) => {
      const env = config.environments.find((e) => e.name === envName)!;
      const id = region === env.region ? 'Foundation' : `Detection-${region}`;
      const found = stacks.filter((s) => s.stackName === `${envName}-${id}`);
      expect([envName, region, found.length]).toEqual([envName, region, 1]);
      expect([found[0].stackName, found[0].account, found[0].region]).toEqual([
        found[0].stackName,
        env.account,
        region,
      ]);
      return { ...found[0], resources: template(found[0].templateFile) };
    };

    beforeAll(() => {
      config = load();
      synth = synthesizeEstate(config);
      stacks = assemblyStacks(synth.outdir);
    });
    afterAll(() => fs.rmSync(synth.outdir, { recursive: true, force: true }));

    test("every allowed region of every environment has its stack, in the environment's account and that region, under a stable name", () => {
      const allowed = config.organization.allowedRegions;
      expect(allowed.length).toBeGreaterThanOrEqual(2);
      for (const env of config.environments) {
        for (const region of allowed) controlsOf(env.name, region);
        const detection = stacks.filter((s) => s.stackName.startsWith(`${env.name}-Detection-`));
        expect(detection.map((s) => s.region).sort()).toEqual(allowed.filter((r) => r !== env.region).sort());
      }
    });

    test('the recorder, detector, hub and its standards run in every allowed region (or the organization runs them, and only the alerts are wired)', () => {
      const inherited = config.organization.detectiveControls.source === 'organization';
      for (const env of config.environments) {
        for (const region of config.organization.allowedRegions) {
          const { resources, stackName } = controlsOf(env.name, region);
          const home = region === env.region;
          if (inherited) {
            for (const type of [
              'AWS::GuardDuty::Detector',
              'AWS::SecurityHub::Hub',
              'AWS::Config::ConfigurationRecorder',
              'AWS::SecurityHub::FindingAggregator',
            ]) {
              expect([stackName, type, ofType(resources, type).length]).toEqual([stackName, type, 0]);
            }
            continue;
          }
          const detectors = ofType(resources, 'AWS::GuardDuty::Detector');
          expect([stackName, detectors.map(([, r]) => r.Properties.Enable)]).toEqual([stackName, [true]]);
          expect([stackName, ofType(resources, 'AWS::SecurityHub::Hub').length]).toEqual([stackName, 1]);
          expect([
            stackName,
            ofType(resources, 'AWS::SecurityHub::Standard')
              .map(([, r]) => r.Properties.StandardsArn)
              .sort(),
          ]).toEqual([
            stackName,
            [
              `arn:aws:securityhub:${region}::standards/aws-foundational-security-best-practices/v/1.0.0`,
              `arn:aws:securityhub:${region}::standards/nist-800-53/v/5.0.0`,
            ],
          ]);
          const recorders = ofType(resources, 'AWS::Config::ConfigurationRecorder');
          // Global resources (IAM) are recorded once per account: in the home region.
          expect([stackName, recorders.map(([, r]) => r.Properties.RecordingGroup)]).toEqual([
            stackName,
            [{ AllSupported: true, IncludeGlobalResourceTypes: home }],
          ]);
          const channels = ofType(resources, 'AWS::Config::DeliveryChannel');
          expect([stackName, channels.length]).toEqual([stackName, 1]);
          const [[, channel]] = channels;
          // Delivered to a bucket and key of this stack (the region's own), never unencrypted.
          expect(resources[channel.Properties.S3BucketName.Ref]?.Type).toBe('AWS::S3::Bucket');
          expect(resources[channel.Properties.S3KmsKeyArn['Fn::GetAtt'][0]]?.Type).toBe('AWS::KMS::Key');
          // Findings of the other regions are aggregated into the home region's hub.
          const aggregators = ofType(resources, 'AWS::SecurityHub::FindingAggregator').map(([, r]) => r.Properties);
          expect([stackName, aggregators]).toEqual([
            stackName,
            home
              ? [
                  {
                    RegionLinkingMode: 'SPECIFIED_REGIONS',
                    Regions: config.organization.allowedRegions.filter((r) => r !== env.region),
                  },
                ]
              : [],
          ]);
        }
      }
    });

    test("every region alerts on GuardDuty findings and on break-glass assumptions recorded there; outside the home region they go to the home region's default bus, and the home rules with the same patterns send them to the findings topic", () => {
      const inherited = config.organization.detectiveControls.source === 'organization';
      const breakGlass = config.organization.breakGlassRoleName;
      for (const env of config.environments) {
        const home = controlsOf(env.name, env.region);
        const rulesOf = (resources: Record<string, Resource>) =>
          ofType(resources, 'AWS::Events::Rule').map(([id, r]) => ({ id, ...r.Properties }));
        const homeRules = rulesOf(home.resources);
        const topics = ofType(home.resources, 'AWS::SNS::Topic').filter(([id]) => id.startsWith('DetectiveFindings'));
        expect(topics).toHaveLength(1);
        const [[topicId]] = topics;
        const toTopic = homeRules.filter((r) => (r.Targets ?? []).some((t: any) => t.Arn?.Ref === topicId));
        // Home: the break-glass role's sessions by its unique ID (no caller can spell it otherwise). Elsewhere the ID
        // is another region's, so every call naming a role of that name, however cased, goes home, where that rule
        // decides (test/guardrails/role-session-patterns.test.ts asks EventBridge).
        const sessionEvents = ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity'];
        const breakGlassRoleId = ofType(home.resources, 'AWS::IAM::Role').find(
          ([, r]) => r.Properties.RoleName === breakGlass,
        )![0];
        const breakGlassPattern = {
          source: ['aws.sts'],
          'detail-type': ['AWS API Call via CloudTrail'],
          detail: {
            eventSource: ['sts.amazonaws.com'],
            eventName: sessionEvents,
            responseElements: {
              assumedRoleUser: {
                assumedRoleId: [
                  { prefix: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [breakGlassRoleId, 'RoleId'] }, ':']] } },
                ],
              },
            },
          },
        };
        const breakGlassForwarded = {
          source: ['aws.sts'],
          'detail-type': ['AWS API Call via CloudTrail'],
          detail: {
            eventSource: ['sts.amazonaws.com'],
            eventName: sessionEvents,
            requestParameters: { roleArn: [{ suffix: { 'equals-ignore-case': `/${breakGlass}` } }] },
          },
        };
        const guardDutyPattern = {
          source: ['aws.guardduty'],
          'detail-type': ['GuardDuty Finding'],
          detail: { severity: [{ numeric: ['>=', 7] }] },
        };
        // The home region's own rules: findings and break-glass to the topic.
        for (const pattern of [guardDutyPattern, breakGlassPattern]) {
          expect([env.name, toTopic.some((r) => JSON.stringify(r.EventPattern) === JSON.stringify(pattern))]).toEqual([
            env.name,
            true,
          ]);
        }
        for (const region of config.organization.allowedRegions.filter((r) => r !== env.region)) {
          const { resources, stackName } = controlsOf(env.name, region);
          const rules = rulesOf(resources);
          const homeBus = `arn:aws:events:${env.region}:${env.account}:event-bus/default`;
          const expected = [
            guardDutyPattern,
            breakGlassForwarded,
            ...(inherited ? [toTopic.find((r) => r.EventPattern.source[0] === 'aws.securityhub')!.EventPattern] : []),
          ];
          expect([stackName, rules.length]).toEqual([stackName, expected.length]);
          for (const pattern of expected) {
            const rule = rules.find((r) => JSON.stringify(r.EventPattern) === JSON.stringify(pattern));
            expect([stackName, JSON.stringify(pattern), rule !== undefined]).toEqual([
              stackName,
              JSON.stringify(pattern),
              true,
            ]);
            expect(rule!.State ?? 'ENABLED').toBe('ENABLED');
            expect([stackName, rule!.Targets.map((t: any) => t.Arn)]).toEqual([stackName, [homeBus]]);
            const [target] = rule!.Targets;
            // Undelivered alerts are kept, in a queue of this stack.
            expect(resources[target.DeadLetterConfig.Arn['Fn::GetAtt'][0]].Type).toBe('AWS::SQS::Queue');
            // The forwarding role may put events on the home bus, and EventBridge of this account only assumes it.
            const roleId = target.RoleArn['Fn::GetAtt'][0];
            const role = resources[roleId];
            expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
              expect.objectContaining({
                Principal: { Service: 'events.amazonaws.com' },
                Condition: { StringEquals: { 'aws:SourceAccount': env.account } },
              }),
            ]);
            const grants = ofType(resources, 'AWS::IAM::ManagedPolicy').filter(([, p]) =>
              (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId),
            );
            const puts = grants
              .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
              .filter((s: any) => [s.Action].flat().includes('events:PutEvents'));
            expect([stackName, puts.map((s: any) => s.Resource)]).toEqual([stackName, [homeBus]]);
            // What arrives on the home bus meets a home rule with the same pattern (break-glass's: the one by the
            // role's ID, which every forwarded session of that role meets), whose target is the findings topic.
            const atHome = pattern === breakGlassForwarded ? breakGlassPattern : pattern;
            expect([
              stackName,
              JSON.stringify(pattern),
              toTopic.some((r) => JSON.stringify(r.EventPattern) === JSON.stringify(atHome)),
            ]).toEqual([stackName, JSON.stringify(pattern), true]);
          }
        }
      }
    });

    test("an assumption through the global STS endpoint (recorded in us-east-1) or any other region is alarmed on from the multi-region trail's log copy, to the findings topic", () => {
      for (const env of config.environments) {
        const { resources, stackName } = controlsOf(env.name, env.region);
        const trails = ofType(resources, 'AWS::CloudTrail::Trail');
        expect(trails).toHaveLength(1);
        const [[, trail]] = trails;
        expect([stackName, trail.Properties.IsMultiRegionTrail, trail.Properties.IncludeGlobalServiceEvents]).toEqual([
          stackName,
          true,
          true,
        ]);
        const logGroup = trail.Properties.CloudWatchLogsLogGroupArn['Fn::GetAtt'][0];
        const filters = ofType(resources, 'AWS::Logs::MetricFilter').filter(
          ([, f]) =>
            f.Properties.LogGroupName.Ref === logGroup &&
            /BreakGlass/.test(f.Properties.MetricTransformations[0].MetricName),
        );
        expect(filters).toHaveLength(1);
        const [[, filter]] = filters;
        // Every session of the break-glass role, by its unique ID (CloudTrail's assumedRoleId is `<role
        // ID>:<session>`).
        const roleId = ofType(resources, 'AWS::IAM::Role').find(
          ([, r]) => r.Properties.RoleName === config.organization.breakGlassRoleName,
        )![0];
        expect(filter.Properties.FilterPattern).toEqual({
          'Fn::Join': [
            '',
            [
              '{ ($.eventSource = "sts.amazonaws.com") && ($.eventName = "AssumeRole*") && ($.responseElements.assumedRoleUser.assumedRoleId = "',
              { 'Fn::GetAtt': [roleId, 'RoleId'] },
              ':*") }',
            ],
          ],
        });
        // No region in the pattern: every region's record counts.
        expect(JSON.stringify(filter.Properties.FilterPattern)).not.toMatch(/awsRegion/);
        const { MetricName, MetricNamespace } = filter.Properties.MetricTransformations[0];
        const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').filter(
          ([, a]) => a.Properties.MetricName === MetricName && a.Properties.Namespace === MetricNamespace,
        );
        expect(alarms).toHaveLength(1);
        expect(alarms[0][1].Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^DetectiveFindings/) }]);
      }
    });

    test('the delivery pipeline (where there is one) deploys every regional stack into its region, with an artifact store there', () => {
      if (!config.delivery) return;
      const pipelineTemplate = Object.values(synth.templateFiles)
        .map((f) => template(f))
        .find((t) => ofType(t, 'AWS::CodePipeline::Pipeline').length > 0)!;
      expect(pipelineTemplate).toBeDefined();
      const [[, pipeline]] = ofType(pipelineTemplate, 'AWS::CodePipeline::Pipeline');
      const stores = pipeline.Properties.ArtifactStores.map((s: any) => s.Region).sort();
      for (const env of config.environments) {
        const stage = pipeline.Properties.Stages.find((s: any) => s.Name === env.name);
        for (const region of config.organization.allowedRegions.filter((r) => r !== env.region)) {
          const deploy = stage.Actions.find((a: any) => a.Name === `Detection-${region}.Deploy`);
          // CodePipeline leaves out the region of an action in its own region.
          expect([env.name, region, deploy?.Region ?? (deploy ? config.organization.homeRegion : undefined)]).toEqual([
            env.name,
            region,
            region,
          ]);
          expect(stores).toContain(region);
        }
      }
    });
  });
}
