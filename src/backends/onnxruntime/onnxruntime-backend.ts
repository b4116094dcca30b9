/**
 * The `onnxruntime` backend (Triton platform `onnxruntime_onnx`): each instance owns a worker
 * thread with its own InferenceSession, because `session.run` blocks its thread and concurrent
 * runs in one thread do not overlap. Loading starts one CPU session to check the model and read
 * its interface; the first CPU instance then takes that session over.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { ModelConfig } from '../../config/model-config.js';
import { BACKEND_API_VERSION, type Backend, type BackendLogger, type InstanceSlot, type LoadedModel, type ModelInstance, type ModelLoadContext } from '../backend.js';
import { completeConfig, interfaceFromOrt } from './config-completion.js';
import { planFromConfig, type ModelPlan } from './model-plan.js';
import { OnnxRuntimeInstance } from './onnxruntime-instance.js';
import { SessionHost } from './session-host.js';
import { chooseProvider, sessionOptionsFromConfig, withProvider, type BaseSessionOptions, type ProviderChoice } from './session-options.js';

/** Model file name when the config has no `default_model_filename`. */
export const DEFAULT_MODEL_FILENAME = 'model.onnx';

function modelFilePath(ctx: ModelLoadContext): string {
  const name = ctx.config.default_model_filename || DEFAULT_MODEL_FILENAME;
  const rel = normalize(name);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
    throw new Error(`model '${ctx.config.name}': default_model_filename '${name}' must stay inside the version directory`);
  }
  return join(ctx.versionDir, rel);
}

async function checkFile(path: string, modelName: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new Error(`model '${modelName}': model file ${path} not found`);
}

class OnnxRuntimeModel implements LoadedModel {
  private readonly plan: ModelPlan;

  constructor(
    readonly config: ModelConfig,
    private readonly modelPath: string,
    private readonly options: BaseSessionOptions,
    /** The session started at load time, kept for the first CPU instance. */
    private spare: SessionHost | undefined,
    private readonly log: BackendLogger,
  ) {
    this.plan = planFromConfig(config);
  }

  async createInstance(slot: InstanceSlot): Promise<ModelInstance> {
    const choice = chooseProvider(this.config, slot);
    let host: SessionHost;
    if (choice.provider === 'cpu' && this.spare?.alive) {
      host = this.spare;
      this.spare = undefined;
    } else {
      await this.releaseSpare();
      host = await this.startHost(choice, slot);
    }
    return new OnnxRuntimeInstance(this.plan, host, () => this.startHost(choice, slot), this.log);
  }

  async unload(): Promise<void> {
    await this.releaseSpare();
  }

  private async releaseSpare(): Promise<void> {
    const spare = this.spare;
    this.spare = undefined;
    await spare?.terminate();
  }

  private async startHost(choice: ProviderChoice, slot: InstanceSlot): Promise<SessionHost> {
    const start = (provider: 'cpu' | 'cuda'): Promise<SessionHost> =>
      SessionHost.start({ modelPath: this.modelPath, options: withProvider(this.options, provider, choice.deviceId) });
    if (choice.provider === 'cpu') return start('cpu');
    try {
      return await start('cuda');
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      if (!choice.fallbackToCpu) {
        throw new Error(
          `model '${this.config.name}': the CUDA execution provider failed to initialize for instance ` +
            `${slot.index} on ${slot.device}: ${cause}`,
          { cause: err },
        );
      }
      this.log.warn('CUDA execution provider unavailable, falling back to CPU', { model: this.config.name, cause });
      return start('cpu');
    }
  }
}

async function loadModel(ctx: ModelLoadContext): Promise<LoadedModel> {
  const name = ctx.config.name;
  const modelPath = modelFilePath(ctx);
  await checkFile(modelPath, name);
  const options = sessionOptionsFromConfig(ctx.config);
  let probe: SessionHost;
  try {
    probe = await SessionHost.start({ modelPath, options: withProvider(options, 'cpu', 0) });
  } catch (err) {
    throw new Error(`model '${name}': onnxruntime cannot load ${modelPath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    const config = completeConfig(ctx.config, interfaceFromOrt(probe.inputs, probe.outputs), ctx.autoCompleteConfig);
    ctx.log.info('loaded onnx model', { model: name, version: ctx.version, file: modelPath });
    return new OnnxRuntimeModel(config, modelPath, options, probe, ctx.log);
  } catch (err) {
    await probe.terminate();
    throw err;
  }
}

/** The onnxruntime backend; the repository maps platform `onnxruntime_onnx` to this name. */
export const onnxRuntimeBackend: Backend = {
  name: 'onnxruntime',
  apiVersion: BACKEND_API_VERSION,
  loadModel,
};
