import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config';

export interface EstateStackProps extends Omit<StackProps, 'env' | 'terminationProtection'> {
  /** The environment this stack belongs to; gives its account, region and zones. */
  readonly environment: EnvironmentConfig;
  /**
   * Region of this stack, for the few stacks an environment keeps outside its
   * own region (the audit-log replica).
   * @default environment.region
   */
  readonly region?: string;
}

/**
 * Base of every stack in an environment: explicit account and region from the
 * config, availability zones from the config (so synth never looks them up),
 * and termination protection on in prod (or where the config asks for it).
 */
export class EstateStack extends Stack {
  readonly estateEnvironment: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: EstateStackProps) {
    const { environment, region, ...rest } = props;
    super(scope, id, {
      ...rest,
      env: { account: environment.account, region: region ?? environment.region },
      terminationProtection: environment.flags.terminationProtection ?? environment.type === 'prod',
    });
    this.estateEnvironment = environment;
  }

  /** The configured zones; overriding this keeps synth free of context lookups. */
  override get availabilityZones(): string[] {
    if (this.region !== this.estateEnvironment.region) {
      throw new Error(
        `${this.node.path}: no availability zones are configured for ${this.region}; only ${this.estateEnvironment.region} has a network`,
      );
    }
    return [...this.estateEnvironment.availabilityZones];
  }
}
