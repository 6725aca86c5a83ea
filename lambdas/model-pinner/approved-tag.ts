/** The object tag that marks a model data version approved: only the model pinner sets it. */
export const APPROVED_TAG = 'estate-approved';
/** The one key each container's pinned copy is written to, once (deterministic: prod's model names it at synth time). */
export function pinnedKey(group: string, version: number | string, container: number): string {
  return `models/${group}/${version}/${container}/model.tar.gz`;
}

