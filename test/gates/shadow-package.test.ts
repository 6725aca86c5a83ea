/**
 * A staging shadow variant may serve an approved package version, so the governed path reaches the shadow
 * comparison: the config accepts it with the checks production variants' package versions have (and refuses the
 * rest naming field, value and what is allowed), the synthesized endpoint config builds the shadow from the staging
 * registry's package of the same model, and the promotions prod asks the deployment gate about include a version
 * the staging shadow serves, and a version prod serves in its own shadow.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ModelEndpoint } from '../../constructs/model-endpoint';
import { validateEstateConfig } from '../../lib/config/load';
import { servingAccounts } from '../../lib/config/models';
import { promotionsFor } from '../../lib/delivery/promotions';
import { modelEndpointProps, monitoringThresholds } from '../../lib/props/endpoints';
import { configProblems, exampleConfig } from '../support/config-problems';
import { cdkJsonContext } from '../support/estate';

const byId = (c: any, id: string) => c.models.find((m: any) => m.id === id);
const shadowOf = (c: any, env = 'staging') => byId(c, 'credit-default').endpoints[env].shadow;
/** The example's staging shadow of credit-default serving approved version 5 instead of an image and model data. */
const packagedShadow = (c: any) => {
  const s = shadowOf(c);
  delete s.image;
  delete s.modelData;
  s.modelPackageVersion = 5;
};
const PATH = 'models[credit-default].endpoints.staging.shadow';

describe('config: a shadow names a package version with the checks of a production variant', () => {
  test('the example with its staging shadow serving version 5 is valid', () => {
    expect(configProblems(packagedShadow)).toEqual([]);
  });

  test.each([
    [
      'version and image both',
      (c: any) => (shadowOf(c).modelPackageVersion = 5),
      [`${PATH}: must give either modelPackageVersion, or both image and modelData`],
    ],
    [
      'version and model data both',
      (c: any) => (
        packagedShadow(c),
        (shadowOf(c).modelData = 's3://model-artifacts-222222222222-eu-west-1/models/x/model.tar.gz')
      ),
      [`${PATH}: must give either modelPackageVersion, or both image and modelData`],
    ],
    [
      'neither',
      (c: any) => (packagedShadow(c), delete shadowOf(c).modelPackageVersion),
      [`${PATH}: must give either modelPackageVersion, or both image and modelData`],
    ],
    [
      'image without model data',
      (c: any) => delete shadowOf(c).modelData,
      [`${PATH}: must give either modelPackageVersion, or both image and modelData`],
    ],
    [
      'version 0',
      (c: any) => (packagedShadow(c), (shadowOf(c).modelPackageVersion = 0)),
      [`${PATH}.modelPackageVersion: must be a whole version number of the staging registry (got 0)`],
    ],
    [
      'fractional version',
      (c: any) => (packagedShadow(c), (shadowOf(c).modelPackageVersion = 5.5)),
      [`${PATH}.modelPackageVersion: must be a whole version number of the staging registry (got 5.5)`],
    ],
    [
      'version as text',
      (c: any) => (packagedShadow(c), (shadowOf(c).modelPackageVersion = '5')),
      [`${PATH}.modelPackageVersion: must be a whole version number of the staging registry (got "5")`],
    ],
    [
      'the version a production variant already serves',
      (c: any) => (packagedShadow(c), (shadowOf(c).modelPackageVersion = 4)),
      [
        `${PATH}.modelPackageVersion: is already served by production variant challenger: a shadow copies live traffic to a candidate to be compared with what callers get, so it serves another version (got 4)`,
      ],
    ],
  ])('refused: %s', (_name, mutate, expected) => {
    expect(configProblems(mutate)).toEqual(expected);
  });

  test('a prod shadow with an image and model data is refused like a prod variant; with a package version it is valid', () => {
    const prodShadow = (c: any, shadow: object) =>
      (byId(c, 'credit-default').endpoints.prod.shadow = {
        name: 'candidate',
        instanceType: 'ml.g5.xlarge',
        instanceCount: 1,
        samplingPercent: 20,
        ...shadow,
      });
    const direct = {
      image:
        '222222222222.dkr.ecr.eu-west-1.amazonaws.com/credit-default@sha256:d17f31c2c4b7b6c9eb62a25d339e0e8b5fba4140d90e57d1e2b613d293e621fb',
      modelData: 's3://model-artifacts-222222222222-eu-west-1/models/credit-default/1.5.0-rc1/model.tar.gz',
    };
    expect(configProblems((c) => prodShadow(c, direct))).toEqual([
      'models[credit-default].endpoints.prod.shadow.image: cannot be used in prod: prod serves only a model package version approved in the staging registry (give modelPackageVersion) (got "222222222222.dkr.ecr.eu-west-1.amazonaws.com/credit-defa...)',
    ]);
    // An image outside the estate's accounts in a prod shadow was the same hole: refused too, before its account is
    // looked at.
    expect(
      configProblems((c) => prodShadow(c, { ...direct, image: direct.image.replace('222222222222', '999999999999') })),
    ).toEqual([
      'models[credit-default].endpoints.prod.shadow.image: cannot be used in prod: prod serves only a model package version approved in the staging registry (give modelPackageVersion) (got "999999999999.dkr.ecr.eu-west-1.amazonaws.com/credit-defa...)',
    ]);
    expect(configProblems((c) => (packagedShadow(c), prodShadow(c, { modelPackageVersion: 5 })))).toEqual([]);
  });

  test('an endpoint awaiting approval gives no model in its shadow either', () => {
    const problems = configProblems((c) => {
      const ep = byId(c, 'credit-default').endpoints.staging;
      ep.awaitingApproval = true;
      for (const v of ep.variants) delete v.modelPackageVersion;
      packagedShadow(c);
    });
    // (Prod's versions are then not served in staging either: reported by their own rule below.)
    expect(problems.filter((p) => !p.includes('is not served'))).toEqual([
      `${PATH}: gives a model, but the endpoint is awaitingApproval: remove awaitingApproval once a version is approved, or the model until then`,
    ]);
  });

  test('a packaged shadow needs the staging registry prod promotes from', () => {
    const problems = configProblems((c) => {
      packagedShadow(c);
      // An estate without prod and its promotion: nothing serves from a staging registry.
      c.environments = c.environments.filter((e: any) => e.type !== 'prod');
      for (const m of c.models) delete m.endpoints.prod;
      for (const m of c.models)
        for (const v of m.endpoints.staging?.variants ?? [])
          if (v.modelPackageVersion !== undefined) v.modelPackageVersion = undefined;
    });
    expect(problems).toContain(
      `${PATH}.modelPackageVersion: needs a staging environment, whose registry holds the approved versions, named in prod's promoteFrom (got 5)`,
    );
  });

  test('a dev endpoint whose only packaged model is its shadow is shared the staging registry (serving accounts)', () => {
    const c = exampleConfig();
    const dev = byId(c, 'deposit-forecast').endpoints.dev;
    dev.shadow = {
      name: 'candidate',
      modelPackageVersion: 2,
      instanceType: dev.variants[0].instanceType,
      instanceCount: 1,
      samplingPercent: 10,
    };
    const without = exampleConfig();
    const accountsOf = (x: any) => servingAccounts(validateEstateConfig(x, 'test.yaml'));
    const devAccount = c.environments.find((e: any) => e.name === 'dev').account;
    expect(accountsOf(without)).not.toContain(devAccount);
    expect(accountsOf(c)).toContain(devAccount);
  });
});

describe('config: every version prod serves is served first in staging, by a variant with traffic or the shadow', () => {
  const prodChallenger = (c: any) =>
    byId(c, 'credit-default').endpoints.prod.variants.find((v: any) => v.name === 'challenger');
  const MSG =
    'the deployment gate promotes a version only after it has served requests there, in a variant with traffic or in the shadow';

  test("prod's challenger served by staging's shadow is valid; a version staging does not serve is refused, saying what it serves", () => {
    expect(configProblems((c) => (packagedShadow(c), (prodChallenger(c).modelPackageVersion = 5)))).toEqual([]);
    expect(configProblems((c) => (prodChallenger(c).modelPackageVersion = 5))).toEqual([
      `models[credit-default].endpoints.prod.variants[1].modelPackageVersion: is not served in staging (the staging endpoint of credit-default serves 3, 4 in variants with traffic): ${MSG} (got 5)`,
    ]);
    expect(configProblems((c) => (packagedShadow(c), (prodChallenger(c).modelPackageVersion = 6)))).toEqual([
      `models[credit-default].endpoints.prod.variants[1].modelPackageVersion: is not served in staging (the staging endpoint of credit-default serves 3, 4 in variants with traffic and 5 in its shadow): ${MSG} (got 6)`,
    ]);
  });

  test('a staging variant of weight 0 receives no requests: it does not count', () => {
    expect(
      configProblems((c) => {
        const variants = byId(c, 'credit-default').endpoints.staging.variants;
        variants[0].weight = 1;
        variants[1].weight = 0;
      }),
    ).toEqual([
      `models[credit-default].endpoints.prod.variants[1].modelPackageVersion: is not served in staging (the staging endpoint of credit-default serves 3 in variants with traffic): ${MSG} (got 4)`,
    ]);
  });

  test("a prod shadow's version needs it too; no staging endpoint, or one serving images only, serves none", () => {
    const prodShadow = (c: any, v: number) =>
      (byId(c, 'credit-default').endpoints.prod.shadow = {
        name: 'candidate',
        modelPackageVersion: v,
        instanceType: 'ml.g5.xlarge',
        instanceCount: 1,
        samplingPercent: 20,
      });
    expect(configProblems((c) => prodShadow(c, 9))).toEqual([
      `models[credit-default].endpoints.prod.shadow.modelPackageVersion: is not served in staging (the staging endpoint of credit-default serves 3, 4 in variants with traffic): ${MSG} (got 9)`,
    ]);
    const problems = configProblems((c) => delete byId(c, 'fraud-score').endpoints.staging).filter((p) =>
      p.includes('is not served'),
    );
    expect(problems).toEqual([
      `models[fraud-score].endpoints.prod.variants[0].modelPackageVersion: is not served in staging (fraud-score has no endpoint in staging): ${MSG} (got 7)`,
    ]);
    const imagesOnly = configProblems((c) => {
      const v = byId(c, 'fraud-score').endpoints.staging.variants[0];
      delete v.modelPackageVersion;
      v.image = '222222222222.dkr.ecr.eu-west-1.amazonaws.com/fraud-score@sha256:' + 'a'.repeat(64);
      v.modelData = 's3://model-artifacts-222222222222-eu-west-1/models/fraud-score/2.1.0/model.tar.gz';
    });
    expect(imagesOnly).toContain(
      `models[fraud-score].endpoints.prod.variants[0].modelPackageVersion: is not served in staging (the staging endpoint of fraud-score serves no package version): ${MSG} (got 7)`,
    );
  });

  test('a staging endpoint awaiting approval serves nothing yet', () => {
    const problems = configProblems((c) => {
      const ep = byId(c, 'fraud-score').endpoints.staging;
      ep.awaitingApproval = true;
      for (const v of ep.variants) delete v.modelPackageVersion;
    }).filter((p) => p.includes('is not served'));
    expect(problems).toEqual([
      `models[fraud-score].endpoints.prod.variants[0].modelPackageVersion: is not served in staging (fraud-score has no deployed endpoint in staging): ${MSG} (got 7)`,
    ]);
  });
});

describe("the synthesized staging endpoint builds a packaged shadow from the staging registry's package of the same model", () => {
  const c = exampleConfig();
  packagedShadow(c);
  const config = validateEstateConfig(c, 'test.yaml');
  const staging = config.environments.find((e) => e.name === 'staging')!;
  const model = config.models.find((m) => m.id === 'credit-default')!;

  function synth(endpoint = model.endpoints.staging) {
    const stack = new Stack(new App({ context: cdkJsonContext() }), 'Probe', {
      env: { account: staging.account, region: staging.region },
    });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    new ModelEndpoint(
      stack,
      'Endpoint',
      modelEndpointProps({
        environment: staging,
        model,
        endpoint,
        subnets: vpc.isolatedSubnets,
        securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
        mlKey: new kms.Key(stack, 'Ml'),
        logsKey: new kms.Key(stack, 'Logs'),
        captureBucket: s3.Bucket.fromBucketName(
          stack,
          'Capture',
          `inference-capture-${staging.account}-${staging.region}`,
        ),
        alarmTopic: new sns.Topic(stack, 'Topic'),
        packageRegistry: { account: staging.account, region: staging.region },
        monitoringThresholds: monitoringThresholds(config, model),
      }),
    );
    return Template.fromStack(stack).toJSON();
  }
  const containerOf = (t: any, ref: any) => t.Resources[ref['Fn::GetAtt'][0]].Properties.PrimaryContainer;

  test('the shadow variant serves model-package/credit-default/5 of the staging registry, with no image or model data', () => {
    const t = synth();
    const [cfg] = Object.values(t.Resources).filter((r: any) => r.Type === 'AWS::SageMaker::EndpointConfig') as any[];
    const shadow = cfg.Properties.ShadowProductionVariants;
    expect(shadow.map((v: any) => [v.VariantName, v.InitialVariantWeight])).toEqual([['shadow', 0.5]]);
    const container = containerOf(t, shadow[0].ModelName);
    expect(Object.keys(container)).toEqual(['ModelPackageName']);
    expect(JSON.stringify(container.ModelPackageName)).toContain(
      `:sagemaker:${staging.region}:${staging.account}:model-package/credit-default/5`,
    );
    // The production variants keep their versions.
    expect(
      cfg.Properties.ProductionVariants.map(
        (v: any) => JSON.stringify(containerOf(t, v.ModelName).ModelPackageName).match(/model-package\/[^"]+/)![0],
      ),
    ).toEqual(['model-package/credit-default/3', 'model-package/credit-default/4']);
    // No model data is read directly: the role reads approved artifacts only (scoped to the registry's account).
    const statements = Object.values(t.Resources)
      .filter((r: any) => r.Type === 'AWS::IAM::ManagedPolicy')
      .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
    expect(statements.map((s: any) => s.Sid)).not.toContain('ReadModelData');
    expect(statements.find((s: any) => s.Sid === 'ReadApprovedArtifacts')).toMatchObject({
      Condition: { StringEquals: { 's3:ResourceAccount': staging.account } },
    });
  });

  test('an endpoint whose only packaged model is the shadow still gets the approved-artifact grants', () => {
    const directVariants = model.endpoints.staging.variants.map((v) => ({
      ...v,
      modelPackageVersion: undefined,
      image: model.endpoints.dev.variants[0].image!.replace('111111111111', staging.account),
      modelData: `s3://model-artifacts-${staging.account}-${staging.region}/models/credit-default/1.4.0/model.tar.gz`,
    }));
    const t = synth({ ...model.endpoints.staging, variants: directVariants });
    const statements = Object.values(t.Resources)
      .filter((r: any) => r.Type === 'AWS::IAM::ManagedPolicy')
      .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
    expect(statements.map((s: any) => s.Sid)).toEqual(
      expect.arrayContaining(['ReadModelData', 'ReadApprovedArtifacts', 'DecryptApprovedArtifacts']),
    );
  });
});

describe('promotions: what prod asks the deployment gate about', () => {
  test("prod's challenger, served in staging's shadow, is asked about against prod's champion on the staging endpoint", () => {
    const c = exampleConfig();
    packagedShadow(c);
    byId(c, 'credit-default').endpoints.prod.variants.find((v: any) => v.name === 'challenger').modelPackageVersion = 5;
    const p = promotionsFor(validateEstateConfig(c, 'test.yaml'), 'prod', 'exec-1');
    const credit = p.requests.filter((r) => r.requestId.startsWith('exec-1.credit-default.'));
    expect(credit).toEqual([
      {
        requestId: 'exec-1.credit-default.champion',
        modelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/credit-default/3',
        stagingEndpointName: 'staging-credit-default',
        championModelPackageArn: undefined,
      },
      {
        requestId: 'exec-1.credit-default.challenger',
        modelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/credit-default/5',
        stagingEndpointName: 'staging-credit-default',
        championModelPackageArn: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/credit-default/3',
      },
    ]);
  });

  test("a version prod serves in its own shadow is asked about too (it runs on prod's live requests)", () => {
    const c = exampleConfig();
    packagedShadow(c);
    byId(c, 'credit-default').endpoints.prod.shadow = {
      name: 'candidate',
      modelPackageVersion: 5,
      instanceType: 'ml.g5.xlarge',
      instanceCount: 1,
      samplingPercent: 20,
    };
    const p = promotionsFor(validateEstateConfig(c, 'test.yaml'), 'prod', 'exec-2');
    expect(
      p.requests
        .filter((r) => r.requestId.startsWith('exec-2.credit-default.'))
        .map((r) => [r.requestId, r.modelPackageArn.split('/').pop(), r.championModelPackageArn?.split('/').pop()]),
    ).toEqual([
      ['exec-2.credit-default.champion', '3', undefined],
      ['exec-2.credit-default.challenger', '4', '3'],
      ['exec-2.credit-default.candidate', '5', '3'],
    ]);
    // Without the prod shadow's version there is no such request (the control).
    const control = exampleConfig();
    packagedShadow(control);
    expect(
      promotionsFor(validateEstateConfig(control, 'test.yaml'), 'prod', 'exec-2').requests.map((r) => r.requestId),
    ).toEqual(expect.arrayContaining(['exec-2.credit-default.champion', 'exec-2.credit-default.challenger']));
    expect(
      promotionsFor(validateEstateConfig(control, 'test.yaml'), 'prod', 'exec-2').requests.map((r) => r.requestId),
    ).not.toContain('exec-2.credit-default.candidate');
  });
});
