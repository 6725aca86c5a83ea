import { EstateConfig, servesPinnedCopy } from '.';

/** Whether any prod environment serves package versions of `model` (in a variant or its shadow). */
export function prodServesPackages(estate: EstateConfig, model: EstateConfig['models'][number]): boolean {
  return estate.environments.some(
    (e) =>
      e.type === 'prod' &&
      [
        ...(model.endpoints[e.name]?.variants ?? []),
        ...(model.endpoints[e.name]?.shadow ? [model.endpoints[e.name].shadow!] : []),
      ].some((v) => v.modelPackageVersion !== undefined),
  );
}

/** Per model served from its pinned copy in prod, the image prod runs it with (the model's training image). */
export function prodImagesOf(estate: EstateConfig): Record<string, string> {
  return Object.fromEntries(
    estate.models
      .filter((m) => servesPinnedCopy(m, { type: 'prod' }) && prodServesPackages(estate, m))
      .map((m) => [m.id, m.training!.image]),
  );
}

/**
 * Per model, the package versions the prod environments promoted from `source` serve with the most weight (each
 * endpoint's champion, as the delivery pipeline pairs them in lib/delivery/promotions.ts).
 */
export function prodChampionsOf(estate: EstateConfig, source: string): Record<string, number[]> {
  const prods = estate.environments.filter((e) => e.type === 'prod' && e.promoteFrom === source).map((e) => e.name);
  const out: Record<string, number[]> = {};
  for (const m of estate.models) {
    const versions = prods.flatMap((p) => {
      const packaged = (m.endpoints[p]?.variants ?? []).filter((v) => v.modelPackageVersion !== undefined);
      return packaged.length > 0 ? [[...packaged].sort((a, b) => b.weight - a.weight)[0].modelPackageVersion!] : [];
    });
    if (versions.length > 0) out[m.id] = [...new Set(versions)].sort((a, b) => a - b);
  }
  return out;
}
