/**
 * The floor as the foundation bench first defined it: a stock App (aws-cdk-lib's
 * built-in template validator on, which the estate turns off). Reported next to
 * the like-for-like floor so that both comparisons are on record.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
const app = new App();
const stack = new Stack(app, 'Floor', { env: { account: '123456789012', region: 'eu-west-1' } });
new s3.Bucket(stack, 'Bucket', { enforceSSL: true });
app.synth();
