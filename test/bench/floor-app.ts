/**
 * The floor of the synth benchmark: the smallest app the toolchain can
 * synthesize (one stack, one bucket, explicit env) through the same CLI with
 * the same flags and cdk.json feature flags. What the estate costs above this
 * is what the estate itself adds.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

// The same App options as the estate's (ESTATE_APP_PROPS in lib/estate.ts), written out so that
// the floor does not load the estate's modules.
const app = new App({ builtinCloudFormationValidation: false, treeMetadata: false });
const stack = new Stack(app, 'Floor', { env: { account: '123456789012', region: 'eu-west-1' } });
new s3.Bucket(stack, 'Bucket', { enforceSSL: true });
app.synth();
