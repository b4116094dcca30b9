/**
 * What makes an ensemble loadable: it has no engine and no instances, only a config whose steps
 * name other models. The repository loads it through a pass-through backend and builds its
 * scheduler once the models it uses are READY.
 */
import type { Backend, LoadedModel } from '../../backends/backend.js';
import { BACKEND_API_VERSION } from '../../backends/backend.js';
import type { ModelConfig } from '../../config/model-config.js';

/** The backend name `platform: "ensemble"` resolves to. */
export const ENSEMBLE_BACKEND_NAME = 'ensemble';

/** True for an ensemble config (`platform: "ensemble"` or `ensemble_scheduling` set). */
export function isEnsemble(config: ModelConfig): boolean {
  return config.platform === 'ensemble' || config.ensemble_scheduling !== undefined;
}

/** Names of the models an ensemble's steps call, without duplicates; empty for other models. */
export function ensembleDependencies(config: ModelConfig): string[] {
  return [...new Set((config.ensemble_scheduling?.step ?? []).map((s) => s.model_name))];
}

/**
 * The pass-through "backend" of ensembles: loading keeps the config as it is (an ensemble never
 * auto-completes) and there is nothing to instantiate; the version folder may be empty.
 */
export const ensembleBackend: Backend = {
  name: ENSEMBLE_BACKEND_NAME,
  apiVersion: BACKEND_API_VERSION,
  loadModel: async (ctx): Promise<LoadedModel> => ({
    config: ctx.config,
    createInstance: () => Promise.reject(new Error(`ensemble '${ctx.config.name}' has no instances`)),
    unload: async () => undefined,
  }),
};

/**
 * Checks that every model an ensemble uses has a READY version (the step's `model_version`, or
 * any for -1); throws an Error naming the first one missing, which makes the ensemble UNAVAILABLE.
 */
export function checkComposingModels(config: ModelConfig, isReady: (name: string, version?: number) => boolean): void {
  for (const step of config.ensemble_scheduling?.step ?? []) {
    const version = step.model_version === -1 || step.model_version === undefined ? undefined : step.model_version;
    if (!isReady(step.model_name, version)) {
      const which = version === undefined ? '' : ` version ${version}`;
      throw new Error(`ensemble '${config.name}' depends on '${step.model_name}'${which}, which is not available`);
    }
  }
}
