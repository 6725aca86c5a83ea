import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';

/** The risk rating SageMaker's model card schema knows for each of the estate's risk tiers. */
const RISK_RATING = { high: 'High', medium: 'Medium', low: 'Low' } as const;

export interface ModelCardProps {
  /** The model's id: the card's name and the `model:id` tag. */
  readonly modelId: string;
  /** Who answers for the model. */
  readonly owner: string;
  /** The model's risk tier in the estate inventory. */
  readonly riskTier: keyof typeof RISK_RATING;
  readonly problemType: 'binary_classification' | 'regression';
  /**
   * What the model is for, as its owner states it.
   * @default - a statement that the owner must describe it before approval
   */
  readonly intendedUse?: string;
  /** Key the card's content is encrypted with. */
  readonly encryptionKey: kms.IKey;
}

/**
 * A model's SageMaker model card, in Draft: its overview (owner, problem type), its intended use and its risk rating
 * from the estate's risk tier (SR 11-7), encrypted with the given key and tagged with the model's id and tier. A
 * CfnModelCard, so that a stack that had the L1 inline adopts it under the same id.
 */
export class ModelCard extends sagemaker.CfnModelCard {
  constructor(scope: Construct, id: string, props: ModelCardProps) {
    super(scope, id, {
      modelCardName: props.modelId,
      modelCardStatus: 'Draft',
      tags: [
        { key: 'model:id', value: props.modelId },
        { key: 'model:risk-tier', value: props.riskTier },
      ],
      securityConfig: { kmsKeyId: props.encryptionKey.keyArn },
      content: {
        modelOverview: {
          modelName: props.modelId,
          modelOwner: props.owner,
          problemType: props.problemType === 'binary_classification' ? 'Binary Classification' : 'Regression',
          modelDescription: `${props.modelId}: ${props.riskTier} model risk, governed by the approval gate`,
        },
        intendedUses: {
          intendedUses:
            props.intendedUse ?? 'Not yet stated: the model owner must describe the intended use before approval.',
          riskRating: RISK_RATING[props.riskTier],
          explanationsForRiskRating: `Risk tier ${props.riskTier} in the estate inventory (SR 11-7); approval thresholds and review cadence follow the tier.`,
        },
      },
    });
  }
}
