/**
 * Orders a set of models for loading so that every ensemble loads after the models it uses:
 * waves of models that load in parallel, each wave after the previous one has finished.
 */
import { parseModelConfig } from '../../config/pbtxt/index.js';
import type { ModelConfig } from '../../config/model-config.js';
import { ensembleDependencies } from './ensemble-model.js';
import { readModelDir } from './local-storage.js';

/**
 * Splits `names` into dependency waves (Kahn's algorithm by levels). Dependencies outside `names`
 * are ignored here (loading reports them); models in a cycle go into one last wave, where their
 * load fails with the missing-dependency reason.
 */
export function dependencyWaves(names: readonly string[], dependenciesOf: (name: string) => readonly string[]): string[][] {
  const set = new Set(names);
  const remaining = new Map(names.map((n) => [n, new Set(dependenciesOf(n).filter((d) => set.has(d) && d !== n))]));
  const waves: string[][] = [];
  while (remaining.size > 0) {
    const wave = [...remaining].filter(([, deps]) => deps.size === 0).map(([n]) => n);
    if (wave.length === 0) {
      waves.push([...remaining.keys()]);
      break;
    }
    for (const n of wave) remaining.delete(n);
    for (const deps of remaining.values()) for (const n of wave) deps.delete(n);
    waves.push(wave);
  }
  return waves;
}

/** Reads each model's config.pbtxt from `repo` and returns load waves; unreadable configs load first. */
export async function loadWaves(repo: string, names: readonly string[]): Promise<string[][]> {
  const deps = new Map<string, string[]>();
  await Promise.all(
    names.map(async (name) => {
      const listing = await readModelDir(repo, name).catch(() => undefined);
      let config: ModelConfig | undefined;
      try {
        config = listing?.configText === undefined ? undefined : parseModelConfig(listing.configText, `${name}/config.pbtxt`);
      } catch {
        config = undefined;
      }
      deps.set(name, config ? ensembleDependencies(config) : []);
    }),
  );
  return dependencyWaves(names, (n) => deps.get(n) ?? []);
}
