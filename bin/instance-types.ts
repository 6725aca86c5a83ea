#!/usr/bin/env node
/**
 * Writes lib/ml/sagemaker-instance-types.json from the instance-type lists of
 * the pinned SageMaker SDK (its ProductionVariantInstanceType,
 * TrainingInstanceType and ProcessingInstanceType, which follow the service's
 * API model). Run after upgrading @aws-sdk/client-sagemaker:
 * `npm run instance-types`. A test fails while the file and the SDK differ.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sdkInstanceTypes } from '../lib/ml/instance-types-source';

const file = path.join(__dirname, '..', 'lib', 'ml', 'sagemaker-instance-types.json');
fs.writeFileSync(file, `${JSON.stringify(sdkInstanceTypes(), null, 1)}\n`);
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
