import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AccessLogBucket } from '../../constructs/access-log-bucket';
import { lockForCalendarYears } from '../../constructs/audit-replica';
import { RegionalDetection } from '../../constructs/detective-controls';
import { customerKey } from '../../constructs/encryption-keys';
import { SecureBucket } from '../../constructs/secure-bucket';
import { acknowledgeNoReplication } from '../../policies/acknowledge';
import { retentionDays } from '../../policies/regulatory-floors';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { EstateStack, EstateStackProps } from './estate-stack';

/** The stack id (and, after the stage name, the stack name) of an environment's detective controls in a region. */
export const detectionStackId = (region: string) => `Detection-${region}`;

export interface DetectionStackProps extends Omit<EstateStackProps, 'region'> {
  readonly region: string;
  /** Organisation slug: the key alias is `alias/<org>-<env>/detection`. */
  readonly organization: string;
  readonly breakGlassRoleName: string;
  /**
   * The organization runs GuardDuty, Config and Security Hub here: only the alert forwarding is built.
   * @default - none: this stack creates them
   */
  readonly inheritedDetectiveControls?: { readonly administratorAccount?: string };
}

/**
 * An environment's detective controls in one of its other allowed regions:
 * GuardDuty, Security Hub and Config (delivering to a locked bucket of this
 * region under its own key), and the forwarding of this region's alerts to
 * the environment's home region.
 */
export class DetectionStack extends EstateStack {
  readonly detection: RegionalDetection;

  constructor(scope: Construct, id: string, props: DetectionStackProps) {
    super(scope, id, props);
    const env = props.environment;
    const key = customerKey(this, 'Key', {
      description: `Config deliveries and undelivered alerts of ${env.name} in ${props.region}`,
      alias: `alias/${props.organization}-${env.name}/detection`,
    });
    let deliveryBucket: SecureBucket | undefined;
    if (!props.inheritedDetectiveControls) {
      const retention = Duration.days(retentionDays(env.auditLogRetentionYears));
      const accessLogs = new AccessLogBucket(this, 'AccessLogBucket', { retention });
      deliveryBucket = new SecureBucket(this, 'ConfigBucket', {
        encryptionKey: key,
        serverAccessLogsBucket: accessLogs,
        complianceRetention: retention,
        auditRecords: true,
      });
      lockForCalendarYears(deliveryBucket, env.auditLogRetentionYears);
      acknowledgeNoReplication(
        deliveryBucket,
        "AWS Config history of one secondary region: Config keeps the configuration items itself, the region's findings are aggregated into the home region's Security Hub, and the bucket is locked COMPLIANCE for the audit retention.",
      );
    }
    this.detection = new RegionalDetection(this, 'Detection', {
      key,
      deliveryBucket,
      inheritedFrom: props.inheritedDetectiveControls,
      homeRegion: env.region,
      breakGlassRoleName: props.breakGlassRoleName,
    });
    StatefulResourcePolicy.alwaysRetain(this);
  }
}
