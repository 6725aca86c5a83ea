/**
 * Instance families with local NVMe storage. SageMaker encrypts that storage
 * in hardware and refuses a KmsKeyId on an endpoint config (or a volume key on
 * a job) that uses them (CreateEndpointConfig API reference, KmsKeyId).
 */
const INSTANCE_STORAGE_FAMILY = /^ml\.(g4dn|g5|g6|g6e|p3dn|p4d|p4de|p5|p5e|p5en|[a-z]+\d+[a-z]*d)\./;

export const hasInstanceStorage = (instanceType: string): boolean => INSTANCE_STORAGE_FAMILY.test(instanceType);
