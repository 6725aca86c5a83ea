/** The ECR repository ARN of an image URI (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`). */
export function repositoryArn(partition: string, image: string): string {
  const [host, ...rest] = image.split('/');
  const [account, , , region] = host.split('.');
  const repository = rest.join('/').replace(/(@sha256:[a-f0-9]+|:[\w.-]+)$/, '');
  return `arn:${partition}:ecr:${region}:${account}:repository/${repository}`;
}
