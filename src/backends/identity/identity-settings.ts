/**
 * Reads and checks what the identity backend takes from a model config: the input→output
 * pairing and the test parameters. Runs once at load so instances never re-parse the config.
 */
import type { ModelConfig, ModelInput, ModelOutput } from '../../config/model-config.js';

/** One output and the input it copies. */
export interface IdentityPair {
  readonly input: ModelInput;
  readonly output: ModelOutput;
}

/** Everything an identity instance needs, resolved from the config at load time. */
export interface IdentitySettings {
  readonly modelName: string;
  /** True when requests carry a leading batch dimension (max_batch_size > 0). */
  readonly batching: boolean;
  /** Output i copies input i, in config order. */
  readonly pairs: readonly IdentityPair[];
  /** `execute_delay_ms`: sleep before answering each execute (each response when decoupled). */
  readonly delayMs: number;
  /** `fail_on_value`: a request whose input holds this element value fails alone. */
  readonly failOnValue?: string;
  /** `throw_on_value`: a batch instance's execute throws (failing its whole batch) when a request holds this value. */
  readonly throwOnValue?: string;
  /** `decoupled_repeat`: responses per request in decoupled mode (0 sends none). */
  readonly repeat: number;
  readonly decoupled: boolean;
}

function parameter(config: ModelConfig, key: string): string | undefined {
  const p = config.parameters && Object.hasOwn(config.parameters, key) ? config.parameters[key] : undefined;
  return p?.string_value;
}

function nonNegative(config: ModelConfig, key: string, fallback: number, integer: boolean): number {
  const raw = parameter(config, key);
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`identity backend: parameter '${key}' must be a non-negative ${integer ? 'integer' : 'number'}, got '${raw}'`);
  }
  return n;
}

/** True when two dims lists can describe the same tensor (-1 matches anything). */
function dimsCompatible(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === -1 || b[i] === -1 || d === b[i]);
}

/** Resolves the identity settings of `config`; throws an Error explaining why the model cannot load. */
export function identitySettings(config: ModelConfig): IdentitySettings {
  const inputs = config.input ?? [];
  const outputs = config.output ?? [];
  // NOTE: identity cannot discover tensors from a model file, so it never auto-completes.
  if (inputs.length === 0 || outputs.length === 0) {
    throw new Error(`identity backend: model '${config.name}' must list its inputs and outputs in the config`);
  }
  if (outputs.length > inputs.length) {
    throw new Error(`identity backend: model '${config.name}' has ${outputs.length} outputs but only ${inputs.length} inputs to copy`);
  }
  const pairs = outputs.map((output, i): IdentityPair => {
    const input = inputs[i]!;
    if (input.data_type !== output.data_type) {
      throw new Error(
        `identity backend: output '${output.name}' (${output.data_type}) cannot copy input '${input.name}' (${input.data_type})`,
      );
    }
    const inDims = input.reshape?.shape ?? input.dims;
    const outDims = output.reshape?.shape ?? output.dims;
    if (!dimsCompatible(inDims, outDims)) {
      throw new Error(
        `identity backend: output '${output.name}' dims [${outDims.join(',')}] do not match input '${input.name}' dims [${inDims.join(',')}]`,
      );
    }
    return { input, output };
  });
  const failOnValue = parameter(config, 'fail_on_value');
  const throwOnValue = parameter(config, 'throw_on_value');
  return {
    modelName: config.name,
    batching: (config.max_batch_size ?? 0) > 0,
    pairs,
    delayMs: nonNegative(config, 'execute_delay_ms', 0, false),
    ...(failOnValue !== undefined && failOnValue !== '' ? { failOnValue } : {}),
    ...(throwOnValue !== undefined && throwOnValue !== '' ? { throwOnValue } : {}),
    repeat: nonNegative(config, 'decoupled_repeat', 1, true),
    decoupled: config.model_transaction_policy?.decoupled === true,
  };
}
