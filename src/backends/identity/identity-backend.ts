/**
 * The identity backend: inferd's minimal reference backend and the executable spec for backend
 * authors (like Triton's identity/minimal backends). Output i is a copy of input i in config
 * order. It discovers nothing, so the config must list inputs and outputs.
 *
 * Config parameters (all `string_value`):
 * - `execute_delay_ms`: sleep this long per execute (per emitted response when decoupled).
 * - `fail_on_value`: a request with an input element equal to this value fails alone (INTERNAL).
 * - `throw_on_value`: a batch instance's execute throws a plain Error, after its delay, when any
 *   request of the batch holds this value: the whole batch fails, as when a backend crashes.
 * - `decoupled_repeat`: with `model_transaction_policy { decoupled: true }`, each request gets
 *   this many responses (default 1; 0 sends none), each a copy of its inputs.
 */
import type { Backend, LoadedModel, ModelInstance } from '../backend.js';
import { BACKEND_API_VERSION } from '../backend.js';
import { createBatchInstance, createDecoupledInstance } from './identity-instance.js';
import { identitySettings } from './identity-settings.js';

/** The identity backend; stateless, so one value serves every model. */
export const identityBackend: Backend = {
  name: 'identity',
  apiVersion: BACKEND_API_VERSION,
  async loadModel(ctx): Promise<LoadedModel> {
    const settings = identitySettings(ctx.config);
    let unloaded = false;
    ctx.log.debug('identity model loaded', { model: ctx.config.name, version: ctx.version, decoupled: settings.decoupled });
    return {
      config: ctx.config,
      async createInstance(): Promise<ModelInstance> {
        if (unloaded) throw new Error(`identity backend: model '${settings.modelName}' is unloaded`);
        return settings.decoupled ? createDecoupledInstance(settings) : createBatchInstance(settings);
      },
      async unload() {
        unloaded = true;
      },
    };
  },
};
