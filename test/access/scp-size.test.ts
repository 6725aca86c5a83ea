/**
 * Room in the service control policies, on every estate the tests know
 * (test/support/estates.ts), in the default suite: AWS refuses a policy over
 * 5,120 characters (whitespace outside strings not counted) and attaches at
 * most five SCPs to a root, OU or account, FullAWSAccess among them
 * (Organizations User Guide, "Quotas and service limits": "Maximum number of
 * policies of a type attached to a root, OU or account: 5"; "Maximum size of
 * a policy document: service control policies 5,120 characters").
 *
 * Only what builds the policies runs here (the config and `scpContext`); the
 * quota check synthesizes the Organization stack alone.
 *
 * The room was made with action wildcards; each is pinned to its expansion in
 * the pinned Service Authorization Reference snapshot, and asked of the
 * simulator: every action it replaced is still denied, the reads beside them
 * are not.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OrganizationStack, scpContext } from '../../lib/stacks/organization-stack';
import {
  policySize,
  ROLE_CHANGES,
  SCP_SIZE_LIMIT,
  serviceControlPolicies,
} from '../../policies/scp/service-control-policies';
import { expandAction } from '../../policies/validation/service-authorization';
import { validatePolicyDocuments } from '../../policies/validation/validate';
import { FOUR_ENVIRONMENTS, ONE_ENVIRONMENT, REPOSITORY_ESTATE, THIRTY_MODELS } from '../support/estates';
import { memberAdmin } from './estate-model';
import { ask, scpsWith, scpsWithout } from './simulate';

const ESTATES = [REPOSITORY_ESTATE, ONE_ENVIRONMENT, FOUR_ENVIRONMENTS, THIRTY_MODELS];
const configs = new Map(ESTATES.map((e) => [e.name, e.config()]));

describe.each(ESTATES.map((e) => [e.name]))('%s', (name) => {
  const config = configs.get(name)!;
  const policies = serviceControlPolicies(scpContext(config));

  test.each(policies.map((p) => [p.name, p] as const))(
    '%s is within 5,120 characters as AWS counts them',
    (_policy, p) => {
      // As AWS counts: the document without whitespace outside strings.
      expect(JSON.stringify(p.document).length).toBe(policySize(p));
      expect(policySize(p)).toBeLessThanOrEqual(SCP_SIZE_LIMIT);
    },
  );

  test('every policy validates against the reference snapshot with no problem (actions exist, keys apply to them)', () => {
    const documents = policies.map((p) => ({
      location: {
        stack: 'Organization',
        logicalId: p.name,
        resourceType: 'AWS::Organizations::Policy',
        property: 'Content',
      },
      kind: 'scp' as const,
      document: p.document as never,
    }));
    expect(validatePolicyDocuments(documents).map((x) => `${x.location.logicalId}: ${x.message}`)).toEqual([]);
  });

  test('no more than four policies for each kind of target: with FullAWSAccess, the five a target takes', () => {
    for (const attachment of ['units-and-accounts', 'root'])
      expect([attachment, policies.filter((p) => p.attachment === attachment).length <= 4]).toEqual([attachment, true]);
    expect(policies.filter((p) => p.attachment === 'units-and-accounts').length).toBe(4);
  });

  if (config.organization.managementAccount && config.organization.rootId) {
    test('every root, OU and account the Organization stack attaches to carries at most four of its policies (five with FullAWSAccess)', () => {
      const template = Template.fromStack(new OrganizationStack(new App(), 'Organization', { estate: config }));
      const attached = new Map<string, number>();
      for (const policy of Object.values(template.findResources('AWS::Organizations::Policy'))) {
        for (const target of policy.Properties.TargetIds) {
          const key = JSON.stringify(target);
          attached.set(key, (attached.get(key) ?? 0) + 1);
        }
      }
      const accounts = [
        ...config.environments.map((e) => e.account),
        ...(config.delivery ? [config.delivery.account] : []),
      ];
      // The root, both top OUs and every account are targets; the units and accounts each with four.
      expect(attached.size).toBe(1 + 2 + new Set(accounts).size);
      for (const [target, count] of attached)
        expect([target, count + 1]).toEqual([
          target,
          target === JSON.stringify(config.organization.rootId)
            ? 1 + policies.filter((p) => p.attachment === 'root').length
            : 5,
        ]);
    });
  }
});

test('the policies of the largest estate (four environments over two regions, a pipeline) keep room for what is added next', () => {
  // Not a limit, a measure: printed so that the next change knows what it has.
  const sizes = serviceControlPolicies(scpContext(configs.get(FOUR_ENVIRONMENTS.name)!)).map((p) => [
    p.name,
    policySize(p),
    SCP_SIZE_LIMIT - policySize(p),
  ]);
  console.log(`SCP sizes, four environments: ${sizes.map(([n, s, r]) => `${n} ${s} (${r} left)`).join(', ')}`);
  for (const [, size] of sizes) expect(size).toBeLessThanOrEqual(SCP_SIZE_LIMIT);
});

describe('wildcards that made the room match exactly the actions they replaced', () => {
  test('the role changes: twelve writes, no read, no PassRole', () => {
    expect(ROLE_CHANGES.flatMap((a) => expandAction(a)).sort()).toEqual(
      [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:UpdateRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:AttachRolePolicy',
        'iam:DetachRolePolicy',
        'iam:PutRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:PutRolePermissionsBoundary',
        'iam:DeleteRolePermissionsBoundary',
        'iam:TagRole',
        'iam:UntagRole',
      ].sort(),
    );
  });

  test.each([
    ['cloudtrail:Put*Selectors', ['cloudtrail:PutEventSelectors', 'cloudtrail:PutInsightSelectors']],
    ['kms:*Alias', ['kms:CreateAlias', 'kms:DeleteAlias', 'kms:UpdateAlias']],
    ['sns:*Permission', ['sns:AddPermission', 'sns:RemovePermission']],
    ['events:*Targets', ['events:PutTargets', 'events:RemoveTargets']],
    // Bucket configuration writes only (no Get, no object action): the deploy alone configures the protected buckets.
    [
      's3:PutBucket*',
      [
        's3:PutBucketAbac',
        's3:PutBucketAcl',
        's3:PutBucketCORS',
        's3:PutBucketLogging',
        's3:PutBucketNotification',
        's3:PutBucketObjectLockConfiguration',
        's3:PutBucketOwnershipControls',
        's3:PutBucketPolicy',
        's3:PutBucketPublicAccessBlock',
        's3:PutBucketRequestPayment',
        's3:PutBucketTagging',
        's3:PutBucketVersioning',
        's3:PutBucketWebsite',
      ],
    ],
    [
      's3:DeleteBucket*',
      [
        's3:DeleteBucket',
        's3:DeleteBucketMetadataTableConfiguration',
        's3:DeleteBucketPolicy',
        's3:DeleteBucketWebsite',
      ],
    ],
    [
      's3:Put*Configuration',
      [
        's3:PutAccelerateConfiguration',
        's3:PutAnalyticsConfiguration',
        's3:PutBucketObjectLockConfiguration',
        's3:PutEncryptionConfiguration',
        's3:PutIntelligentTieringConfiguration',
        's3:PutInventoryConfiguration',
        's3:PutLifecycleConfiguration',
        's3:PutMetricsConfiguration',
        's3:PutReplicationConfiguration',
        's3:PutStorageLensConfiguration',
      ],
    ],
    [
      'ecr:Put*',
      [
        'ecr:PutAccountSetting',
        'ecr:PutImage',
        'ecr:PutImageScanningConfiguration',
        'ecr:PutImageTagMutability',
        'ecr:PutLifecyclePolicy',
        'ecr:PutRegistryPolicy',
        'ecr:PutRegistryScanningConfiguration',
        'ecr:PutReplicationConfiguration',
        'ecr:PutSigningConfiguration',
      ],
    ],
    [
      'ecr:DeleteRepository*',
      ['ecr:DeleteRepository', 'ecr:DeleteRepositoryCreationTemplate', 'ecr:DeleteRepositoryPolicy'],
    ],
    [
      'cloudformation:*Stack',
      [
        'cloudformation:CancelUpdateStack',
        'cloudformation:CreateStack',
        'cloudformation:DeleteStack',
        'cloudformation:RollbackStack',
        'cloudformation:UpdateStack',
      ],
    ],
    [
      'cloudformation:*teChangeSet',
      ['cloudformation:CreateChangeSet', 'cloudformation:DeleteChangeSet', 'cloudformation:ExecuteChangeSet'],
    ],
    ['iam:*tePolicy*', ['iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion']],
    ['cloudtrail:*eTrail', ['cloudtrail:CreateTrail', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail']],
    ['scheduler:*eSchedule', ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:UpdateSchedule']],
    [
      'sagemaker:*teEndpoint*',
      [
        'sagemaker:CreateEndpoint',
        'sagemaker:CreateEndpointConfig',
        'sagemaker:DeleteEndpoint',
        'sagemaker:DeleteEndpointConfig',
        'sagemaker:UpdateEndpoint',
        'sagemaker:UpdateEndpointWeightsAndCapacities',
      ],
    ],
    ['sagemaker:UpdateMonitoring*', ['sagemaker:UpdateMonitoringAlert', 'sagemaker:UpdateMonitoringSchedule']],
    [
      'sagemaker:Delete*JobDefinition',
      [
        'sagemaker:DeleteDataQualityJobDefinition',
        'sagemaker:DeleteModelBiasJobDefinition',
        'sagemaker:DeleteModelExplainabilityJobDefinition',
        'sagemaker:DeleteModelQualityJobDefinition',
      ],
    ],
  ])('%s expands to exactly these in the reference snapshot', (pattern, actions) => {
    expect(expandAction(pattern).sort()).toEqual([...actions].sort());
  });
});

describe('the compressed statements deny what the listed actions denied, and no read', () => {
  const config = configs.get(REPOSITORY_ESTATE.name)!;
  const scps = serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document }));
  const prod = config.environments.find((e) => e.type === 'prod')!;
  const account = prod.account;
  const region = prod.region;
  const admin = memberAdmin(account);
  const on = (resource: string) => ({ resource, resourceAccount: account, region });
  const cases: Array<[string, string, string, string[]]> = [
    // [statement, resource, denied actions..., reads that stay allowed]
    [
      'ProtectTheDeploymentRoles',
      `arn:aws:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${region}`,
      'iam:GetRole iam:GetRolePolicy iam:ListRolePolicies iam:ListAttachedRolePolicies',
      [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:UpdateRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:AttachRolePolicy',
        'iam:DetachRolePolicy',
        'iam:PutRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:PutRolePermissionsBoundary',
        'iam:TagRole',
        'iam:UntagRole',
      ],
    ],
    [
      'ProtectTheEstate',
      `arn:aws:cloudtrail:${region}:${account}:trail/${config.organization.name}-trail`,
      'cloudtrail:GetEventSelectors cloudtrail:GetTrailStatus',
      ['cloudtrail:PutEventSelectors', 'cloudtrail:PutInsightSelectors'],
    ],
    [
      'ProtectTheEstate',
      `arn:aws:kms:${region}:${account}:alias/${config.organization.name}-audit`,
      '',
      ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
    ],
    [
      'ProtectTheEstate',
      `arn:aws:s3:::${prod.name}-foundation-auditlogs1234-abcd`,
      's3:GetBucketPolicy s3:GetBucketVersioning s3:GetLifecycleConfiguration s3:ListBucket',
      [
        's3:DeleteBucket',
        's3:DeleteBucketPolicy',
        's3:PutBucketPolicy',
        's3:PutBucketObjectLockConfiguration',
        's3:PutBucketVersioning',
        's3:PutEncryptionConfiguration',
        's3:PutLifecycleConfiguration',
        's3:PutReplicationConfiguration',
        's3:PutBucketLogging',
        's3:PutBucketPublicAccessBlock',
        's3:PutBucketAcl',
        // Newly denied by the wildcards: ACLs back on, notifications out, tags.
        's3:PutBucketOwnershipControls',
        's3:PutBucketNotification',
        's3:PutBucketTagging',
      ],
    ],
    [
      'DeployOnlyThroughTheDeployRole',
      `arn:aws:cloudformation:${region}:${account}:stack/${prod.name}-Foundation/0b1c2d3e`,
      'cloudformation:DescribeStacks cloudformation:GetTemplate cloudformation:DescribeChangeSet',
      [
        'cloudformation:CreateStack',
        'cloudformation:UpdateStack',
        'cloudformation:DeleteStack',
        'cloudformation:RollbackStack',
        'cloudformation:CreateChangeSet',
        'cloudformation:ExecuteChangeSet',
        'cloudformation:ContinueUpdateRollback',
        'cloudformation:SetStackPolicy',
      ],
    ],
    [
      'ProtectTheEstate',
      `arn:aws:iam::${account}:policy/${config.organization.name}-${prod.name}-workload-boundary`,
      'iam:GetPolicy iam:GetPolicyVersion',
      [
        'iam:CreatePolicyVersion',
        'iam:DeletePolicy',
        'iam:DeletePolicyVersion',
        'iam:SetDefaultPolicyVersion',
        'iam:CreatePolicy',
      ],
    ],
    [
      'PublishOnlyThroughTheBootstrap',
      `arn:aws:s3:::cdk-hnb659fds-assets-${account}-${region}`,
      's3:GetBucketPolicy s3:GetBucketLocation s3:ListBucket',
      [
        's3:PutBucketPolicy',
        's3:DeleteBucketPolicy',
        's3:PutBucketVersioning',
        's3:PutLifecycleConfiguration',
        's3:PutBucketAcl',
        's3:DeleteBucket',
      ],
    ],
    [
      'PublishOnlyThroughTheBootstrap',
      `arn:aws:ecr:${region}:${account}:repository/cdk-hnb659fds-container-assets-${account}-${region}`,
      'ecr:GetRepositoryPolicy ecr:BatchGetImage ecr:DescribeImages',
      [
        'ecr:PutImage',
        'ecr:BatchDeleteImage',
        'ecr:PutImageTagMutability',
        'ecr:PutLifecyclePolicy',
        'ecr:SetRepositoryPolicy',
        'ecr:DeleteRepositoryPolicy',
        'ecr:DeleteRepository',
      ],
    ],
  ];

  test.each(cases)(
    '%s on %s: each write denied by it (allowed without it); %s allowed',
    async (sid, resource, reads, writes) => {
      // EgressOnlyByTheDeploy denies bucket policies and ACLs of every environment bucket as well
      // (test/access/scp-egress.test.ts): taken out, so that each compressed statement is asked alone.
      const alone = scpsWithout(scps, 'EgressOnlyByTheDeploy');
      const without = scpsWithout(alone, sid);
      for (const action of writes) {
        const a = await ask({ scps: alone, principal: admin, action, ...on(resource) });
        expect([action, a.decision, a.by.map((b) => b.statement)]).toEqual([action, 'denied', [sid]]);
        expect([action, (await ask({ scps: without, principal: admin, action, ...on(resource) })).decision]).toEqual([
          action,
          'allowed',
        ]);
      }
      for (const action of reads.split(' ').filter(Boolean))
        expect([action, (await ask({ scps, principal: admin, action, ...on(resource) })).decision]).toEqual([
          action,
          'allowed',
        ]);
    },
  );

  test('the estate roles by tag (ProtectEstateAlerting): the same twelve role changes denied, reads allowed; the SNS and EventBridge wildcards too', async () => {
    const tags = { 'estate:organization': config.organization.name };
    const role = on(`arn:aws:iam::${account}:role/${prod.name}-Foundation-TrailLogDeliveryRole-ABC`);
    // EgressOnlyByTheDeploy denies sns:AddPermission on every topic: taken out first, so this statement is asked alone.
    const alone = scpsWith(scps, 'EgressOnlyByTheDeploy', (s) => ({
      ...s,
      Action: s.Action.filter((a: string) => a !== 'sns:AddPermission'),
    }));
    const without = scpsWithout(alone, 'ProtectEstateAlerting');
    const asks: Array<[string, { resource: string; resourceAccount: string; region: string }]> = [
      ...ROLE_CHANGES.flatMap((p) => expandAction(p))
        .filter((a) => a !== 'iam:CreateRole' && a !== 'iam:DeleteRolePermissionsBoundary')
        .map((a) => [a, role] as [string, typeof role]),
      ['sns:AddPermission', on(`arn:aws:sns:${region}:${account}:findings`)],
      ['sns:RemovePermission', on(`arn:aws:sns:${region}:${account}:findings`)],
      ['events:PutTargets', on(`arn:aws:events:${region}:${account}:rule/findings`)],
      ['events:RemoveTargets', on(`arn:aws:events:${region}:${account}:rule/findings`)],
    ];
    // The role keeps the workload boundary it has (RolesCarryTheBoundary is not the question here).
    const context = {
      'iam:PermissionsBoundary': `arn:aws:iam::${account}:policy/${config.organization.name}-${prod.name}-workload-boundary`,
    };
    for (const [action, where] of asks) {
      const a = await ask({ scps: alone, principal: admin, action, ...where, resourceTags: tags, context });
      expect([action, a.decision, a.by.map((b) => b.statement)]).toEqual([action, 'denied', ['ProtectEstateAlerting']]);
      expect([
        action,
        (await ask({ scps: without, principal: admin, action, ...where, resourceTags: tags, context })).decision,
      ]).toEqual([action, 'allowed']);
    }
    for (const action of ['iam:GetRole', 'iam:GetRolePolicy', 'iam:PassRole']) {
      expect([action, (await ask({ scps, principal: admin, action, ...role, resourceTags: tags })).decision]).toEqual([
        action,
        'allowed',
      ]);
    }
  });
});
