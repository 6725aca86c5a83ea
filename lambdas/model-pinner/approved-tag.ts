/** The object tag that marks a model data version approved: only the model pinner sets it. */
export const APPROVED_TAG = 'estate-approved';
/**
 * The one key each container's pinned copy is written to, once (deterministic: prod's model names it at synth time).
 */
export function pinnedKey(group: string, version: number | string, container: number): string {
  return `models/${group}/${version}/${container}/model.tar.gz`;
}

/**
 * The drift baseline files of a version, as the Evaluate step writes them beside its other reports
 * (`training/<group>/<run>/reports/`) and the monitoring job reads them (`monitoring/<endpoint>/baseline/`).
 * The first two are what every monitoring run needs; the others are copied where the run wrote them.
 */
export const BASELINE_FILES = [
  'baseline-statistics.json',
  'baseline-constraints.json',
  'baseline-score-statistics.json',
  'baseline-segment-statistics.json',
] as const;
export type BaselineFile = (typeof BASELINE_FILES)[number];
export const REQUIRED_BASELINE_FILES: readonly BaselineFile[] = [
  'baseline-statistics.json',
  'baseline-constraints.json',
];
/** Where the pinner writes a version's baseline file in the approved-model bucket, once. */
export function baselineKey(group: string, version: number | string, file: BaselineFile): string {
  return `baselines/${group}/${version}/${file}`;
}
/**
 * The manifest of a version's pinned baseline (file, bytes, SHA-256), written once after its files: what prod's copy
 * verifies against.
 */
export function baselineManifestKey(group: string, version: number | string): string {
  return `baselines/${group}/${version}/manifest.json`;
}
/** The approved-model bucket's prefix of one model's baselines: all a prod baseline copier may read. */
export const baselinePrefix = (group: string): string => `baselines/${group}/`;

export interface BaselineManifest {
  readonly schema: 'model-baseline/1';
  readonly modelPackage: string;
  /**
   * The files pinned, in BASELINE_FILES order; SHA-256 in hex, of the bytes the pinner read from the approved version.
   */
  readonly files: readonly {
    readonly file: BaselineFile;
    readonly bytes: number;
    readonly sha256: string;
    readonly source: { readonly uri: string; readonly versionId: string };
  }[];
}
