/** Types every gate's decision logic shares: what a fetched report is, and what a check records. */

/** A report as the handler found it: parsed JSON, or why there is none. */
export type FetchedReport =
  | { status: 'ok'; uri: string; json: unknown; versionId?: string; sha256?: string }
  /** The package names no such report, or the object does not exist. */
  | { status: 'missing'; uri?: string; reason: string }
  /** It exists but may not or cannot be used: outside the allowed buckets, oversized, not JSON. */
  | { status: 'invalid'; uri?: string; reason: string; versionId?: string; sha256?: string }
  /** AWS would not give it to us (after retries): nothing is known about it. */
  | { status: 'unavailable'; uri?: string; reason: string };

export interface Check {
  readonly name: string;
  readonly passed: boolean;
  /** What a failure does: a blocking check rejects, a warning holds for review. */
  readonly severity: 'block' | 'warn';
  readonly value?: number;
  readonly threshold?: string;
  readonly detail: string;
}
