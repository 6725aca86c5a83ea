import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../policies/acknowledge';
import { NamedPrincipals, namedPrincipalTrust } from './named-principals';
import { roleSessionEventPattern, roleSessionFilterPattern } from './role-assumption-alarm';

export interface BreakGlassRoleProps {
  /** Fixed name: the organization's SCPs exempt exactly this role. */
  readonly roleName: string;
  /** Who may assume it: named principals of the account people sign in from, never the whole account. */
  readonly trustedPrincipals: NamedPrincipals;
  /** Where every assumption of the role is announced. */
  readonly alerts: sns.ITopic;
  /** Where an alert EventBridge could not deliver is kept. */
  readonly undelivered: sqs.IQueue;
  /**
   * The CloudWatch Logs copy of the account's multi-region trail. An alarm on
   * it announces assumptions made through any STS endpoint, the global one
   * (recorded in us-east-1) and other regions' included, which the
   * EventBridge rule of this region does not see.
   * @default - the EventBridge rule of this region only
   */
  readonly trailLogGroup?: logs.ILogGroup;
  /**
   * Key of the alerts topic: CloudWatch alarms of this account may use it to publish.
   * @default - the topic is not encrypted with a customer key
   */
  readonly alertsKey?: kms.IKey;
}

/**
 * The emergency role: full administrative power for one hour at a time, assumed only by the principals named for it (an
 * IAM user only with MFA), under its own boundary (no IAM users or access keys, nothing in Organizations), and
 * announced on the security topic every time it is assumed. It is the only role the organization's guardrails exempt.
 */
export class BreakGlassRole extends Construct {
  readonly role: iam.Role;
  readonly boundary: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: BreakGlassRoleProps) {
    super(scope, id);
    this.boundary = new iam.ManagedPolicy(this, 'Boundary', {
      description: 'Permissions boundary of the break-glass role',
      statements: [
        new iam.PolicyStatement({ sid: 'AllowEmergencyWork', actions: ['*'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'NoLongLivedCredentials',
          effect: iam.Effect.DENY,
          actions: [
            'iam:CreateUser',
            'iam:CreateAccessKey',
            'iam:CreateLoginProfile',
            'iam:UpdateLoginProfile',
            'iam:CreateServiceSpecificCredential',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'NoOrganizationChanges',
          effect: iam.Effect.DENY,
          actions: ['organizations:*', 'account:*'],
          resources: ['*'],
        }),
      ],
    });
    acknowledgeFindings(
      this.boundary,
      [
        'AwsSolutions-IAM5[Action::*]',
        'AwsSolutions-IAM5[Resource::*]',
        ...['NIST.800.53.R5', 'PCI.DSS.321', 'HIPAA.Security'].flatMap((pack) => [
          `${pack}-IAMPolicyNoStatementsWithAdminAccess`,
          `${pack}-IAMPolicyNoStatementsWithFullAccess`,
        ]),
      ],
      'Boundary of the break-glass role: it grants nothing itself and takes away long-lived credentials and Organizations from an emergency session.',
    );

    const trust = namedPrincipalTrust(this, props.trustedPrincipals);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: 'Break-glass: emergency administration, named principals only, one hour, every use announced',
      assumedBy: trust.principal,
      maxSessionDuration: Duration.hours(1),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
    });
    trust.addTo(this.role);
    // Its own boundary, not the workload one, which forbids the very repairs an emergency may need.
    iam.PermissionsBoundary.of(this.role).apply(this.boundary);
    acknowledgeFindings(
      this.role,
      ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AdministratorAccess]'],
      'This is the break-glass role: full administration is its purpose; trust of named principals only, one-hour sessions, its boundary and an alert on every assumption compensate.',
    );

    const { account } = Stack.of(this);
    // By the role's unique ID, not the ARN the caller wrote (role names are not distinguished by case).
    new events.Rule(this, 'Assumed', {
      description: 'Announce every assumption of the break-glass role',
      eventPattern: roleSessionEventPattern(this.role.roleId),
      targets: [new targets.SnsTopic(props.alerts, { deadLetterQueue: props.undelivered, retryAttempts: 8 })],
    });

    if (props.trailLogGroup) {
      const filter = new logs.MetricFilter(this, 'AssumedInAnyRegion', {
        logGroup: props.trailLogGroup,
        filterPattern: roleSessionFilterPattern(this.role.roleId),
        metricNamespace: 'Estate/BreakGlass',
        metricName: 'BreakGlassAssumed',
        metricValue: '1',
      });
      const alarm = new cloudwatch.Alarm(this, 'AssumedAlarm', {
        alarmDescription: `The break-glass role ${props.roleName} was assumed (any region or STS endpoint)`,
        metric: filter.metric({ statistic: 'Sum', period: Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.alerts));
      props.alertsKey?.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AlarmsPublishBreakGlassAlerts',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
    }
  }
}
