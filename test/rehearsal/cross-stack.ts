/**
 * The static half of the deploy rehearsal: every cross-stack reference of a synthesized cloud
 * assembly (Fn::GetStackOutput, which CDK's weak, cross-region and cross-account references
 * compile to) names a stack of the assembly, in the region and account it states, that declares
 * that output, and the consumer depends on that stack (so `cdk deploy` orders them). Reads the
 * assembly's manifests and templates as the CLI does; no AWS, no emulator.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface AssemblyStack {
  /** Artifact id (unique in the assembly). */
  readonly id: string;
  /** As the CLI shows it, e.g. `dev/Foundation`. */
  readonly displayName: string;
  /** The CloudFormation stack name. */
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly template: { Resources?: Record<string, unknown>; Outputs?: Record<string, unknown> };
  /** Artifact ids of the stacks this one depends on (asset manifests left out). */
  readonly dependencies: readonly string[];
}

export interface StackOutputReference {
  readonly consumer: AssemblyStack;
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  readonly outputName: string;
}

/** Every stack of a cloud assembly, nested assemblies (stages) included. */
export function assemblyStacks(directory: string): AssemblyStack[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'manifest.json'), 'utf8'));
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly') {
      stacks.push(...assemblyStacks(path.join(directory, artifact.properties.directoryName)));
    } else if (artifact.type === 'aws:cloudformation:stack') {
      const env = /^aws:\/\/(\d{12})\/([a-z0-9-]+)$/.exec(artifact.environment ?? '');
      if (!env) throw new Error(`stack ${id} has no explicit account and region (${artifact.environment})`);
      stacks.push({
        id,
        displayName: artifact.displayName ?? id,
        stackName: artifact.properties?.stackName ?? id,
        account: env[1],
        region: env[2],
        template: JSON.parse(fs.readFileSync(path.join(directory, artifact.properties.templateFile), 'utf8')),
        dependencies: (artifact.dependencies ?? []).filter((d: string) => !d.endsWith('.assets')),
      });
    }
  }
  return stacks;
}

function collect(value: unknown, found: Record<string, unknown>[]): Record<string, unknown>[] {
  if (Array.isArray(value)) value.forEach((v) => collect(v, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Fn::GetStackOutput') found.push(v as Record<string, unknown>);
      collect(v, found);
    }
  }
  return found;
}

/** The Fn::GetStackOutput references of a stack, with the account each one reads from. */
export function stackOutputReferences(consumer: AssemblyStack): StackOutputReference[] {
  const raw = collect([consumer.template.Resources ?? {}, consumer.template.Outputs ?? {}], []);
  return raw.map((ref) => {
    const roleArn = typeof ref.RoleArn === 'string' ? ref.RoleArn : undefined;
    return {
      consumer,
      stackName: String(ref.StackName),
      region: typeof ref.Region === 'string' ? ref.Region : consumer.region,
      // Without a RoleArn, CloudFormation reads the output in the consumer's own account.
      account: roleArn ? roleArn.split(':')[4] : consumer.account,
      outputName: String(ref.OutputName),
    };
  });
}

/** What is wrong with the assembly's cross-stack references, one line each; empty when all hold. */
export function crossStackProblems(stacks: readonly AssemblyStack[]): string[] {
  const byId = new Map(stacks.map((s) => [s.id, s]));
  const dependsOn = (from: AssemblyStack, on: AssemblyStack): boolean => {
    const seen = new Set<string>();
    const todo = [...from.dependencies];
    while (todo.length > 0) {
      const id = todo.pop()!;
      if (id === on.id) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      todo.push(...(byId.get(id)?.dependencies ?? []));
    }
    return false;
  };
  const problems: string[] = [];
  for (const consumer of stacks) {
    for (const ref of stackOutputReferences(consumer)) {
      const where = `${consumer.displayName} reads ${ref.stackName}.${ref.outputName} in ${ref.account}/${ref.region}`;
      const named = stacks.filter((s) => s.stackName === ref.stackName);
      if (named.length === 0) {
        problems.push(`${where}: no stack of the assembly is named ${ref.stackName}`);
        continue;
      }
      const producer = named.find((s) => s.region === ref.region && s.account === ref.account);
      if (!producer) {
        const at = named.map((s) => `${s.account}/${s.region}`).join(', ');
        problems.push(`${where}: ${ref.stackName} is deployed to ${at}, not there`);
        continue;
      }
      if (!Object.prototype.hasOwnProperty.call(producer.template.Outputs ?? {}, ref.outputName)) {
        problems.push(`${where}: ${producer.displayName} declares no output ${ref.outputName}`);
      }
      if (!dependsOn(consumer, producer)) {
        problems.push(
          `${where}: ${consumer.displayName} does not depend on ${producer.displayName}, so nothing deploys it first`,
        );
      }
    }
  }
  return problems;
}
