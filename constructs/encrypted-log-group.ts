import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { MIN_LOG_RETENTION_DAYS } from '../policies/regulatory-floors';

export interface EncryptedLogGroupProps {
  /** Customer-managed key the log data is encrypted with. */
  readonly encryptionKey: kms.IKey;
  /**
   * How long events are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly retention?: logs.RetentionDays;
}

/**
 * A CloudWatch log group that is always KMS-encrypted with a customer key and
 * kept at least a year. Retention below a year, or "never expire" left to
 * chance, is refused.
 */
export class EncryptedLogGroup extends logs.LogGroup {
  constructor(scope: Construct, id: string, props: EncryptedLogGroupProps) {
    const retention = props.retention ?? logs.RetentionDays.ONE_YEAR;
    if (retention !== logs.RetentionDays.INFINITE && retention < MIN_LOG_RETENTION_DAYS) {
      throw new Error(
        `EncryptedLogGroup ${id}: retention ${retention} days is below the ${MIN_LOG_RETENTION_DAYS}-day floor; use RetentionDays.ONE_YEAR or longer`,
      );
    }
    super(scope, id, {
      encryptionKey: props.encryptionKey,
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
