import { CfnResource, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { acknowledgeFindings } from '../../policies/acknowledge';
import { wildcardFindings } from '../../policies/acknowledge-wildcards';

const INLINE_POLICY_RULES = [
  'NIST.800.53.R5-IAMNoInlinePolicy',
  'PCI.DSS.321-IAMNoInlinePolicy',
  'HIPAA.Security-IAMNoInlinePolicy',
];
const SOURCE_URL_RULES = ['PCI.DSS.321-CodeBuildProjectSourceRepoUrl', 'HIPAA.Security-CodeBuildProjectSourceRepoUrl'];

/**
 * Acknowledges what CDK Pipelines and CodePipeline build into the roles they
 * own, with the reasons a reviewer checks them against:
 *
 * - their role policies are inline (aws-cdk-lib writes one DefaultPolicy per
 *   role; each is attached to exactly that role and versioned in the template);
 * - their grants use the action groups of CDK's grant helpers (s3:GetObject*,
 *   kms:GenerateDataKey*) on the pipeline's own artifact buckets and keys, its
 *   own CodeBuild log and report groups, and the target accounts' CDK bootstrap
 *   roles (tag-conditioned); the replica region's key ARN cannot be named
 *   across regions, and the tooling account holds no other customer key;
 * - their CodeBuild projects take the source as a pipeline artifact (source
 *   type CODEPIPELINE), so there is no repository URL or credential to protect,
 *   and run on Debian (the tests' platform) rather than a CodeBuild image.
 *
 * Walks only the given constructs (the pipeline's), after the pipeline is built.
 */
export function acknowledgePipelineFindings(scopes: readonly IConstruct[]): void {
  for (const scope of scopes) {
    for (const node of scope.node.findAll()) {
      if (!CfnResource.isCfnResource(node)) continue;
      const stack = Stack.of(node);
      if (node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy) {
        const wildcards = wildcardFindings(stack, node.policyDocument);
        if (wildcards.length > 0) {
          acknowledgeFindings(
            node,
            wildcards,
            "CDK Pipelines grant: action groups from aws-cdk-lib grant helpers on the pipeline's own artifact buckets and keys, its own CodeBuild log and report groups, or the target accounts' CDK bootstrap roles (tag-conditioned); the replica region key is named * because CloudFormation cannot reference it across regions.",
          );
        }
        if (node instanceof iam.CfnPolicy) {
          acknowledgeFindings(
            node,
            INLINE_POLICY_RULES,
            'Role policy written by aws-cdk-lib (CDK Pipelines / CodePipeline) for a role it creates; attached to that one role, versioned in the template, no permission outside the pipeline.',
          );
        }
      } else if (node instanceof codebuild.CfnProject) {
        const source = stack.resolve(node.source) as { type?: string };
        if (source?.type === 'CODEPIPELINE') {
          acknowledgeFindings(
            node,
            SOURCE_URL_RULES,
            'Source type CODEPIPELINE: the project never clones a repository; the source arrives as an encrypted pipeline artifact through the CodeConnections connection, so no URL or credential is stored.',
          );
        }
        const image = (stack.resolve(node.environment) as { image?: string })?.image ?? '';
        if (!image.startsWith('aws/codebuild/')) {
          acknowledgeFindings(
            node,
            ['AwsSolutions-CB5'],
            `Image ${image}: Docker's official Node.js 20 on Debian 12 from ECR Public, the platform the tests are made for (Debian's Python for cfn-lint and moto; the evidence page's Chromium comes from the npm registry with the dev dependencies), the same as the project's own machines.`,
          );
        }
      }
    }
  }
}
