/**
 * Session options and execution provider from a model config, using the parameter names of
 * Triton's onnxruntime_backend (`intra_op_thread_count`, `execution_mode`, ...) and its
 * `optimization { graph { level } }` setting.
 */
import type { InstanceGroup, ModelConfig } from '../../config/model-config.js';
import type { InstanceSlot } from '../backend.js';
import type { WorkerSessionOptions } from './worker-protocol.js';

/** Session options without the execution provider, which is chosen per instance. */
export type BaseSessionOptions = Omit<WorkerSessionOptions, 'executionProviders'>;

/** Intra-op threads when the config says nothing: instances already run in parallel, one per worker. */
export const DEFAULT_INTRA_OP_THREADS = 1;

type OptLevel = NonNullable<WorkerSessionOptions['graphOptimizationLevel']>;
const LEVEL_NAMES: readonly OptLevel[] = ['disabled', 'basic', 'extended', 'all'];

/** Session config keys Triton passes through to onnxruntime unchanged. */
const PASSTHROUGH_KEYS = ['memory.enable_memory_arena_shrinkage', 'session.use_device_allocator_for_initializers'];

function param(config: ModelConfig, key: string): string | undefined {
  const value = config.parameters?.[key]?.string_value;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function intParam(config: ModelConfig, key: string, min: number): number | undefined {
  const raw = param(config, key);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`parameter '${key}' must be an integer >= ${min}, got '${raw}'`);
  return n;
}

function boolParam(config: ModelConfig, key: string): boolean | undefined {
  const raw = param(config, key)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new Error(`parameter '${key}' must be 0, 1, true or false, got '${raw}'`);
}

/** Triton's `optimization.graph.level`: -1 basic, 1 extended, 2 disabled, anything else all. */
function tritonGraphLevel(config: ModelConfig): OptLevel | undefined {
  const graph = (config.optimization as { graph?: { level?: unknown } } | undefined)?.graph;
  if (graph?.level === undefined) return undefined;
  const level = Number(graph.level);
  if (level === -1) return 'basic';
  if (level === 1) return 'extended';
  if (level === 2) return 'disabled';
  return 'all';
}

function graphLevel(config: ModelConfig): OptLevel | undefined {
  const raw = param(config, 'graph_optimization_level')?.toLowerCase();
  if (raw === undefined) return tritonGraphLevel(config);
  if (!(LEVEL_NAMES as readonly string[]).includes(raw)) {
    throw new Error(`parameter 'graph_optimization_level' must be one of ${LEVEL_NAMES.join(', ')}, got '${raw}'`);
  }
  return raw as OptLevel;
}

/** Reads the session options from config parameters; throws an Error naming a bad parameter. */
export function sessionOptionsFromConfig(config: ModelConfig): BaseSessionOptions {
  const executionMode = param(config, 'execution_mode');
  if (executionMode !== undefined && executionMode !== '0' && executionMode !== '1') {
    throw new Error(`parameter 'execution_mode' must be 0 (sequential) or 1 (parallel), got '${executionMode}'`);
  }
  const extra: Record<string, string> = {};
  for (const key of PASSTHROUGH_KEYS) {
    const value = param(config, key);
    if (value !== undefined) extra[key] = value;
  }
  const intraOp = intParam(config, 'intra_op_thread_count', 0) ?? DEFAULT_INTRA_OP_THREADS;
  const interOp = intParam(config, 'inter_op_thread_count', 0);
  const level = graphLevel(config);
  const arena = boolParam(config, 'enable_mem_arena');
  const pattern = boolParam(config, 'enable_mem_pattern');
  return {
    intraOpNumThreads: intraOp,
    ...(interOp !== undefined ? { interOpNumThreads: interOp } : {}),
    ...(executionMode !== undefined ? { executionMode: executionMode === '1' ? 'parallel' : 'sequential' } : {}),
    ...(level !== undefined ? { graphOptimizationLevel: level } : {}),
    ...(arena !== undefined ? { enableCpuMemArena: arena } : {}),
    ...(pattern !== undefined ? { enableMemPattern: pattern } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

/** Which execution provider an instance uses, and whether it may fall back to the CPU. */
export interface ProviderChoice {
  readonly provider: 'cpu' | 'cuda';
  readonly deviceId: number;
  /** True for KIND_AUTO: a CUDA provider that fails to start falls back to the CPU. */
  readonly fallbackToCpu: boolean;
}

function groupOf(config: ModelConfig, slot: InstanceSlot): InstanceGroup | undefined {
  return config.instance_group?.find((g) => g.name === slot.groupName);
}

/**
 * KIND_GPU always uses CUDA; KIND_AUTO (or no group) uses CUDA when the core placed the instance
 * on a GPU, falling back to the CPU when CUDA cannot start; KIND_CPU and KIND_MODEL use the CPU.
 */
export function chooseProvider(config: ModelConfig, slot: InstanceSlot): ProviderChoice {
  const kind = groupOf(config, slot)?.kind ?? 'KIND_AUTO';
  const gpu = slot.device.startsWith('gpu:') ? Number(slot.device.slice(4)) : undefined;
  if (kind === 'KIND_GPU') return { provider: 'cuda', deviceId: gpu ?? 0, fallbackToCpu: false };
  if (kind === 'KIND_AUTO' && gpu !== undefined) return { provider: 'cuda', deviceId: gpu, fallbackToCpu: true };
  return { provider: 'cpu', deviceId: 0, fallbackToCpu: false };
}

/** Complete worker options for a provider. */
export function withProvider(base: BaseSessionOptions, provider: 'cpu' | 'cuda', deviceId: number): WorkerSessionOptions {
  return {
    ...base,
    executionProviders: provider === 'cuda' ? [{ name: 'cuda', deviceId }] : [{ name: 'cpu' }],
  };
}
