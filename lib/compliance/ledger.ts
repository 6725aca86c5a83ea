import { CfnResource, Validations } from 'aws-cdk-lib';
import { IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { IConstruct } from 'constructs';

export type ResultStatus = 'compliant' | 'non_compliant' | 'acknowledged';

/** One rule on one resource, with its outcome. */
export interface RuleResult {
  readonly pack: string;
  /** Rule ID as cdk-nag reports it, granular findings included (`AwsSolutions-IAM5[Action::s3:*]`). */
  readonly rule: string;
  /** The rule the result belongs to, without the granular finding. */
  readonly baseRule: string;
  readonly path: string;
  readonly status: ResultStatus;
  /** The acknowledgement's reason, or why a rule could not be evaluated. */
  readonly reason?: string;
  /** The trace CDK recorded where the acknowledgement was made. */
  readonly acknowledgedTrace?: readonly string[];
}

export interface RuleInfo {
  readonly id: string;
  readonly pack: string;
  readonly info: string;
  readonly explanation: string;
  readonly level: 'error' | 'warning';
}

/**
 * Everything the compliance packs decided during one validation: cdk-nag 3
 * reports only violations, so recording packs write every outcome here.
 * Not-applicable outcomes are counted per rule, not listed.
 */
export class ComplianceLedger {
  readonly results: RuleResult[] = [];
  readonly rules = new Map<string, RuleInfo>();
  readonly notApplicable = new Map<string, number>();
  readonly packs: string[] = [];

  /** Forgets one pack's outcomes, before that pack runs again. */
  resetPack(pack: string): void {
    for (let i = this.results.length - 1; i >= 0; i--) if (this.results[i].pack === pack) this.results.splice(i, 1);
    for (const [id, rule] of this.rules) if (rule.pack === pack) this.rules.delete(id);
    for (const id of this.notApplicable.keys()) if (id.startsWith(`${pack}-`)) this.notApplicable.delete(id);
    if (!this.packs.includes(pack)) this.packs.push(pack);
  }

  record(pack: string, params: IApplyRule, result: NagRuleResult | undefined, error?: unknown): void {
    const baseRule = `${pack}-${params.ruleSuffixOverride ?? params.rule.name}`;
    if (!this.rules.has(baseRule)) {
      this.rules.set(baseRule, {
        id: baseRule,
        pack,
        info: params.info,
        explanation: params.explanation,
        level: params.level === NagMessageLevel.ERROR ? 'error' : 'warning',
      });
    }
    if (error !== undefined) {
      this.push(
        pack,
        params,
        baseRule,
        baseRule,
        true,
        `the rule could not be evaluated: ${String((error as Error)?.message ?? error)}`,
      );
      return;
    }
    // Most outcomes are not-applicable and only counted; nothing else is built for them.
    if (result === NagRuleCompliance.NOT_APPLICABLE) {
      this.notApplicable.set(baseRule, (this.notApplicable.get(baseRule) ?? 0) + 1);
    } else if (result === NagRuleCompliance.COMPLIANT) {
      this.push(pack, params, baseRule, baseRule, false);
    } else if (result === NagRuleCompliance.NON_COMPLIANT) {
      this.push(pack, params, baseRule, baseRule, true);
    } else if (Array.isArray(result)) {
      if (result.length === 0) this.push(pack, params, baseRule, baseRule, false);
      for (const finding of result) this.push(pack, params, baseRule, `${baseRule}[${finding}]`, true);
    }
  }

  private push(
    pack: string,
    params: IApplyRule,
    baseRule: string,
    rule: string,
    failed: boolean,
    detail?: string,
  ): void {
    const path = params.node.node.path;
    const ack = failed ? acknowledgementOf(params.node, rule) : undefined;
    const status: ResultStatus = !failed ? 'compliant' : ack !== undefined ? 'acknowledged' : 'non_compliant';
    this.results.push({
      pack,
      rule,
      baseRule,
      path,
      status,
      ...(ack !== undefined
        ? { reason: ack.reason, ...(ack.trace ? { acknowledgedTrace: ack.trace } : {}) }
        : detail
          ? { reason: detail }
          : {}),
    });
  }
}

/** The acknowledgement of `rule` on `node` or an ancestor, as cdk-nag looks it up: its reason and where it was made. */
export function acknowledgementOf(
  node: IConstruct,
  rule: string,
): { reason: string; trace?: readonly string[] } | undefined {
  for (let current: IConstruct | undefined = node; current; current = current.node.scope) {
    for (const entry of current.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        if (id.replace(/^annotation::/i, '') === rule) return { reason, trace: entry.trace };
      }
    }
  }
  return undefined;
}

type PackClass = new (scope?: IConstruct) => NagPack;

/** A rule that returns a recorded outcome (bound to it), made once so that no closure is built per rule. */
function replayOutcome(this: { result?: NagRuleResult; error?: unknown }): NagRuleResult {
  if (this.error !== undefined) throw this.error;
  return this.result!;
}

/**
 * A subclass of a cdk-nag pack that records every rule outcome in the
 * ledger, then lets the pack do what it always does with it. Each rule is
 * evaluated once.
 */
export function recording(Pack: PackClass, ledger: ComplianceLedger): PackClass {
  // The stock packs are concrete classes; their protected applyRule is what is wrapped.
  const Base = Pack as unknown as new (scope?: IConstruct) => any;
  class RecordingPack extends Base {
    validateScope(scope: IConstruct) {
      ledger.resetPack(this.readPackName);
      return super.validateScope(scope);
    }

    protected applyRule(params: IApplyRule): void {
      let result: NagRuleResult | undefined;
      let error: unknown;
      try {
        result = params.rule(params.node as CfnResource);
      } catch (e) {
        error = e;
      }
      ledger.record(this.readPackName, params, result, error);
      // cdk-nag acts only on findings and errors (a compliant or not-applicable outcome changes
      // nothing), so only those are replayed to it: same outcome, the rule's own name, no second evaluation.
      const finding =
        error !== undefined ||
        result === NagRuleCompliance.NON_COMPLIANT ||
        (Array.isArray(result) && result.length > 0);
      if (!finding) return;
      super.applyRule({
        ...params,
        ruleSuffixOverride: params.ruleSuffixOverride ?? params.rule.name,
        rule: replayOutcome.bind({ result, error }) as IApplyRule['rule'],
      });
    }
  }
  Object.defineProperty(RecordingPack, 'name', { value: Pack.name });
  return RecordingPack as unknown as PackClass;
}
