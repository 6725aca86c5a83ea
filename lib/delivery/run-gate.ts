import type { Promotion, PromotionRequest } from './promotions';

/** Invokes the gate function once; returns its decoded answer, or throws. */
export type InvokeGate = (
  functionArn: string,
  request: PromotionRequest,
) => Promise<{ functionError?: string; payload: unknown }>;

export interface GateVerdict {
  readonly request: PromotionRequest;
  readonly pass: boolean;
  readonly reasons: readonly string[];
  readonly record?: string;
}

/**
 * Asks the staging deployment gate about every version prod will serve and
 * fails closed: a version passes only on an explicit `pass: true`; an error,
 * an unreadable answer or a refusal stops the promotion, with the reason.
 */
export async function judgePromotion(promotion: Promotion, invoke: InvokeGate): Promise<GateVerdict[]> {
  const verdicts: GateVerdict[] = [];
  for (const request of promotion.requests) {
    try {
      const { functionError, payload } = await invoke(promotion.gateFunctionArn, request);
      const answer = payload as { pass?: unknown; reasons?: unknown; record?: unknown } | null;
      if (functionError) {
        verdicts.push({
          request,
          pass: false,
          reasons: [`the gate failed (${functionError}): ${JSON.stringify(payload).slice(0, 300)}`],
        });
      } else if (!answer || typeof answer !== 'object' || typeof answer.pass !== 'boolean') {
        verdicts.push({
          request,
          pass: false,
          reasons: [`the gate's answer is not a decision: ${JSON.stringify(payload).slice(0, 300)}`],
        });
      } else {
        const reasons = Array.isArray(answer.reasons) ? answer.reasons.map(String) : [];
        verdicts.push({
          request,
          pass: answer.pass === true,
          reasons,
          record: typeof answer.record === 'string' ? answer.record : undefined,
        });
      }
    } catch (e) {
      verdicts.push({
        request,
        pass: false,
        reasons: [`the gate could not be invoked: ${(e as Error).name}: ${(e as Error).message}`.slice(0, 400)],
      });
    }
  }
  return verdicts;
}
