/**
 * SageMaker compute beyond training, processing and models: HyperPod, AutoML,
 * inference components, the jobs the reference gives no network or key
 * condition for, notebook and Studio volumes, and the network routes out that
 * would make "in a subnet" mean "on the internet". Asked of the synthesized
 * SCPs with an environment admin (AdministratorAccess, no boundary) as caller.
 */
import { synthesizeEstate } from '../support/estate';
import { expandAction } from '../../policies/validation/service-authorization';
import { ADMINISTRATOR_ACCESS, EstateModel } from './estate-model';
import { Answer, ask, Principal, scpsWithout } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const prod = () => model.synth.config.environments.find((e) => e.name === 'prod')!;
const admin = (
  account: string,
  name = 'aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef',
): Principal => ({
  arn: `arn:aws:iam::${account}:role/${name}`,
  account,
  identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
  person: true,
});
const KEY = () => `arn:aws:kms:${prod().region}:${prod().account}:key/estate`;
const sm = (
  action: string,
  kind: string,
  context: Record<string, string | string[]>,
  policies = scps,
): Promise<Answer> => {
  const { account, region } = prod();
  return ask({
    scps: policies,
    principal: admin(account),
    action,
    resource: `arn:aws:sagemaker:${region}:${account}:${kind}/x`,
    resourceAccount: account,
    region,
    context,
  });
};
const statements = (a: Answer) => a.by.map((b) => b.statement);

describe('SageMaker compute the SCPs now reach (H3)', () => {
  test('a HyperPod cluster without a VPC is denied by RequireVpcSubnets, with subnets allowed; without the statement allowed', async () => {
    const bare = await sm('sagemaker:CreateCluster', 'cluster', { 'sagemaker:InstanceTypes': ['ml.m5.xlarge'] });
    expect([bare.decision, statements(bare)]).toEqual(['denied', ['RequireVpcSubnets']]);
    expect((await sm('sagemaker:CreateCluster', 'cluster', { 'sagemaker:VpcSubnets': ['subnet-1'] })).decision).toBe(
      'allowed',
    );
    expect((await sm('sagemaker:CreateCluster', 'cluster', {}, scpsWithout(scps, 'RequireVpcSubnets'))).decision).toBe(
      'allowed',
    );
  });

  test.each(['sagemaker:CreateAutoMLJob', 'sagemaker:CreateAutoMLJobV2'])(
    '%s needs subnets, a volume key and an output key at the front door',
    async (action) => {
      const full = {
        'sagemaker:VpcSubnets': ['subnet-1'],
        'sagemaker:VolumeKmsKeyArn': KEY(),
        'sagemaker:OutputKmsKeyArn': KEY(),
      };
      expect((await sm(action, 'automl-job', full)).decision).toBe('allowed');
      for (const [key, sid] of [
        ['sagemaker:VpcSubnets', 'RequireVpcSubnets'],
        ['sagemaker:VolumeKmsKeyArn', 'RequireVolumeKeyAlways'],
        ['sagemaker:OutputKmsKeyArn', 'RequireOutputKey'],
      ]) {
        const without = Object.fromEntries(Object.entries(full).filter(([k]) => k !== key));
        const a = await sm(action, 'automl-job', without);
        expect([key, a.decision, statements(a)]).toEqual([key, 'denied', [sid]]);
        expect([key, (await sm(action, 'automl-job', without, scpsWithout(scps, sid))).decision]).toEqual([
          key,
          'allowed',
        ]);
      }
    },
  );

  test('an inference component that runs containers of its own (no model) is denied by ComponentsRunModels; one built from a model is allowed', async () => {
    const a = await sm('sagemaker:CreateInferenceComponent', 'inference-component', {});
    expect([a.decision, statements(a)]).toEqual(['denied', ['ComponentsRunModels']]);
    expect(
      (
        await sm('sagemaker:CreateInferenceComponent', 'inference-component', {
          'sagemaker:ModelArn': `arn:aws:sagemaker:${prod().region}:${prod().account}:model/m`,
        })
      ).decision,
    ).toBe('allowed');
    expect(
      (
        await sm(
          'sagemaker:CreateInferenceComponent',
          'inference-component',
          {},
          scpsWithout(scps, 'ComponentsRunModels'),
        )
      ).decision,
    ).toBe('allowed');
  });

  test.each([
    ['sagemaker:CreateOptimizationJob', 'optimization-job'],
    ['sagemaker:CreateCompilationJob', 'compilation-job'],
    ['sagemaker:CreateInferenceRecommendationsJob', 'inference-recommendations-job'],
    ['sagemaker:CreateLabelingJob', 'labeling-job'],
  ])(
    '%s (no network or key condition key to require) is denied outright by DenyUnguardableCompute; without it allowed',
    async (action, kind) => {
      const a = await sm(action, kind, {});
      expect([a.decision, statements(a)]).toEqual(['denied', ['DenyUnguardableCompute']]);
      expect((await sm(action, kind, {}, scpsWithout(scps, 'DenyUnguardableCompute'))).decision).toBe('allowed');
    },
  );

  test.each([
    ['sagemaker:CreateNotebookInstance', 'notebook-instance', { 'sagemaker:DirectInternetAccess': 'Disabled' }],
    ['sagemaker:CreateDomain', 'domain', { 'sagemaker:AppNetworkAccessType': 'VpcOnly' }],
  ])(
    '%s without a customer volume key is denied by RequireVolumeKeyAlways; with one allowed; without the statement allowed',
    async (action, kind, closed) => {
      const base = { 'sagemaker:VpcSubnets': ['subnet-1'], ...closed };
      const a = await sm(action, kind, base);
      expect([a.decision, statements(a)]).toEqual(['denied', ['RequireVolumeKeyAlways']]);
      expect((await sm(action, kind, { ...base, 'sagemaker:VolumeKmsKeyArn': KEY() })).decision).toBe('allowed');
      expect((await sm(action, kind, base, scpsWithout(scps, 'RequireVolumeKeyAlways'))).decision).toBe('allowed');
    },
  );

  test('the job-definition wildcard names exactly the four monitoring definitions in the pinned reference', () => {
    expect(expandAction('sagemaker:Create*JobDefinition').sort()).toEqual([
      'sagemaker:CreateDataQualityJobDefinition',
      'sagemaker:CreateModelBiasJobDefinition',
      'sagemaker:CreateModelExplainabilityJobDefinition',
      'sagemaker:CreateModelQualityJobDefinition',
    ]);
  });
});

describe('no route out of an environment network (H3: "any subnet passes")', () => {
  test.each([
    ['ec2:CreateNatGateway', 'natgateway/nat-1'],
    ['ec2:AttachInternetGateway', 'internet-gateway/igw-1'],
    ['ec2:CreateEgressOnlyInternetGateway', 'egress-only-internet-gateway/eigw-1'],
    ['ec2:CreateVpcPeeringConnection', 'vpc-peering-connection/pcx-1'],
    ['ec2:CreateTransitGatewayVpcAttachment', 'transit-gateway-attachment/tgw-attach-1'],
  ])(
    "%s in an environment account is denied to an admin (DenyNetworkEscape) and allowed to break-glass; in an account that is no environment it is not the estate's to deny",
    async (action, resource) => {
      const { account, region } = prod();
      const ask1 = (principal: Principal, acct = account, policies = scps) =>
        ask({
          scps: policies,
          principal,
          action,
          resource: `arn:aws:ec2:${region}:${acct}:${resource}`,
          resourceAccount: acct,
          region,
        });
      const a = await ask1(admin(account));
      expect([a.decision, statements(a)]).toEqual(['denied', ['DenyNetworkEscape']]);
      expect((await ask1(admin(account, model.synth.config.organization.breakGlassRoleName))).decision).toBe('allowed');
      expect((await ask1(admin(account), account, scpsWithout(scps, 'DenyNetworkEscape'))).decision).toBe('allowed');
      const tooling = model.synth.config.delivery!.account;
      expect((await ask1(admin(tooling), tooling)).decision).toBe('allowed');
    },
  );

  test('the estate itself builds no route out (no NAT or internet gateway, peering or transit attachment in any environment template)', () => {
    const found = model.templates
      .filter((t) => t.key.includes('/'))
      .flatMap((t) =>
        Object.entries(t.resources)
          .filter(([, r]) =>
            /NatGateway|InternetGateway|VPCGatewayAttachment|VPCPeeringConnection|TransitGatewayAttachment|TransitGatewayVpcAttachment/.test(
              r.Type,
            ),
          )
          .map(([id]) => `${t.key} ${id}`),
      );
    expect(found).toEqual([]);
  });
});
