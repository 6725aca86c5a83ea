/**
 * OrganizationalUnit and ServiceControlPolicy on their own: each is the L1 it subclasses with the given name and
 * parent or document and targets, and each is retained when it leaves the stack.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OrganizationalUnit } from '../../constructs/organizational-unit';
import { ServiceControlPolicy } from '../../constructs/service-control-policy';

describe('organization guardrail constructs', () => {
  const stack = new Stack(new App(), 'Probe', { env: { account: '999999999999', region: 'eu-west-1' } });
  const unit = new OrganizationalUnit(stack, 'WorkloadsUnit', { name: 'ML Workloads', parentId: 'r-ex4m' });
  const document = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'DenyLeave', Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }],
  };
  new ServiceControlPolicy(stack, 'NoLeaving', {
    policyName: 'acme-no-leaving',
    description: 'Member accounts stay in the organization',
    document,
    targetIds: [unit.attrId, '111111111111'],
  });
  const template = Template.fromStack(stack);

  test('an OU with the given name under the given parent, retained', () => {
    template.hasResource('AWS::Organizations::OrganizationalUnit', {
      Properties: { Name: 'ML Workloads', ParentId: 'r-ex4m' },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('a service control policy with its document, attached to the given targets, retained', () => {
    template.hasResource('AWS::Organizations::Policy', {
      Properties: {
        Name: 'acme-no-leaving',
        Description: 'Member accounts stay in the organization',
        Type: 'SERVICE_CONTROL_POLICY',
        Content: document,
        TargetIds: [{ 'Fn::GetAtt': [stack.getLogicalId(unit), 'Id'] }, '111111111111'],
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});
