/**
 * Which events a rule with this pattern delivers, decided by moto's EventBridge
 * (moto's TestEventPattern API is a stub): for each event, a fresh rule with an
 * SQS target is created, the event put, and the queue read; true when the event
 * arrived. Driven through boto3. PutEvents entries carry no account: EventBridge
 * stamps the caller's (moto's 123456789012), as AWS stamps the sending account.
 */
import { execFileSync } from 'node:child_process';

export interface PatternEvent {
  readonly source: string;
  readonly 'detail-type': string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

const SCRIPT = `
import json, sys, uuid, boto3
spec = json.load(sys.stdin)
run = uuid.uuid4().hex[:8]  # fresh queues and rules per call: a message received earlier must not be read again
kw = dict(endpoint_url=spec["endpoint"], region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
events, sqs = boto3.client("events", **kw), boto3.client("sqs", **kw)
out = []
for i, event in enumerate(spec["events"]):
    url = sqs.create_queue(QueueName="rule-%s-%d" % (run, i))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="rule-%s-%d" % (run, i), EventPattern=json.dumps(spec["pattern"]))
    events.put_targets(Rule="rule-%s-%d" % (run, i), Targets=[{"Id": "t", "Arn": arn}])
    events.put_events(Entries=[{"Source": event["source"], "DetailType": event["detail-type"], "Resources": event["resources"], "Detail": json.dumps(event["detail"])}])
    out.append(len(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])) == 1)
    events.remove_targets(Rule="rule-%s-%d" % (run, i), Ids=["t"])
    events.delete_rule(Name="rule-%s-%d" % (run, i))
print(json.dumps(out))
`;

export function deliveredBy(endpoint: string, pattern: unknown, events: readonly PatternEvent[]): boolean[] {
  return JSON.parse(
    execFileSync('python3', ['-c', SCRIPT], { input: JSON.stringify({ endpoint, pattern, events }), encoding: 'utf8' }),
  );
}
