import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolation,
} from 'aws-cdk-lib';
import { FoundPolicyDocument, policyDocumentsOf } from './policy-documents';
import { sarSnapshot } from './service-authorization';
import { PolicyProblem, validatePolicyDocuments } from './validate';

/** What one synth's policy validation found, for the evidence. */
export interface PolicyValidationResult {
  /** The Service Authorization Reference snapshot the documents were checked against. */
  readonly reference: { readonly package: string; readonly version: string; readonly updatedAt: string };
  readonly templates: number;
  readonly documents: number;
  readonly statements: number;
  readonly problems: readonly PolicyProblem[];
}

/** Validates every policy document of the given templates (`name` -> template JSON). */
export function validateTemplates(templates: Record<string, unknown>): PolicyValidationResult {
  const documents: FoundPolicyDocument[] = Object.entries(templates).flatMap(([name, template]) =>
    policyDocumentsOf(template as object, name),
  );
  return {
    reference: sarSnapshot(),
    templates: Object.keys(templates).length,
    documents: documents.length,
    statements: documents.reduce((n, d) => n + [d.document.Statement].flat().length, 0),
    problems: validatePolicyDocuments(documents),
  };
}

/**
 * Synth-time check: every IAM policy document in every synthesized template
 * is checked against the pinned Service Authorization Reference; any problem
 * fails the synth, like an unacknowledged nag finding.
 */
export class PolicyValidationPlugin implements IPolicyValidationPlugin {
  readonly name = 'PolicyValidation';
  readonly ruleIds = ['PolicyValidation'];
  /** The result of the last run, read by the evidence writer. */
  lastResult?: PolicyValidationResult;

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const templates = Object.fromEntries(
      context.templatePaths.map((file) => [stackName(file), JSON.parse(fs.readFileSync(file, 'utf8'))]),
    );
    const result = validateTemplates(templates);
    this.lastResult = result;
    const violations: PolicyViolation[] = result.problems.map((p) => ({
      ruleName: `PolicyValidation-${p.code}`,
      description: p.message,
      fix: 'Use actions and condition keys the Service Authorization Reference lists for each action (see README, "Policy validation").',
      violatingResources: [
        {
          resourceLogicalId: p.location.logicalId,
          templatePath: templatePathOf(context.templatePaths, p.location.stack),
          locations: [p.location.property],
        },
      ],
    }));
    return { success: violations.length === 0, violations };
  }
}

/** `.../assembly-prod/prod-Foundation.template.json` -> `prod-Foundation`. */
function stackName(file: string): string {
  return path.basename(file).replace(/\.template\.json$/, '');
}

function templatePathOf(paths: readonly string[], stack: string): string {
  return paths.find((p) => stackName(p) === stack) ?? stack;
}
