import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../config/model-config.js';
import { chooseProvider, DEFAULT_INTRA_OP_THREADS, sessionOptionsFromConfig, withProvider } from './session-options.js';

const withParams = (params: Record<string, string>, extra: Partial<ModelConfig> = {}): ModelConfig => ({
  name: 'm',
  parameters: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { string_value: v }])),
  ...extra,
});

describe('sessionOptionsFromConfig', () => {
  it('defaults to one intra-op thread and leaves the rest to onnxruntime', () => {
    expect(sessionOptionsFromConfig({ name: 'm' })).toEqual({ intraOpNumThreads: DEFAULT_INTRA_OP_THREADS });
  });

  it("maps Triton's onnxruntime_backend parameters", () => {
    const options = sessionOptionsFromConfig(
      withParams({
        intra_op_thread_count: '2',
        inter_op_thread_count: '3',
        execution_mode: '1',
        enable_mem_arena: 'false',
        enable_mem_pattern: '1',
        'session.use_device_allocator_for_initializers': '1',
      }),
    );
    expect(options).toEqual({
      intraOpNumThreads: 2,
      interOpNumThreads: 3,
      executionMode: 'parallel',
      enableCpuMemArena: false,
      enableMemPattern: true,
      extra: { 'session.use_device_allocator_for_initializers': '1' },
    });
  });

  it.each([
    [-1, 'basic'],
    [1, 'extended'],
    [2, 'disabled'],
    [0, 'all'],
  ] as const)('maps optimization.graph.level %d to %s', (level, expected) => {
    expect(sessionOptionsFromConfig({ name: 'm', optimization: { graph: { level } } }).graphOptimizationLevel).toBe(expected);
  });

  it('lets graph_optimization_level override the Triton level', () => {
    const config = withParams({ graph_optimization_level: 'Basic' }, { optimization: { graph: { level: 2 } } });
    expect(sessionOptionsFromConfig(config).graphOptimizationLevel).toBe('basic');
  });

  it.each([
    [{ intra_op_thread_count: '-1' }, /intra_op_thread_count/],
    [{ inter_op_thread_count: '1.5' }, /inter_op_thread_count/],
    [{ execution_mode: 'fast' }, /execution_mode/],
    [{ enable_mem_arena: 'yes' }, /enable_mem_arena/],
    [{ graph_optimization_level: 'max' }, /graph_optimization_level/],
  ])('rejects %o', (params, message) => {
    expect(() => sessionOptionsFromConfig(withParams(params))).toThrow(message);
  });
});

describe('chooseProvider', () => {
  const config: ModelConfig = {
    name: 'm',
    instance_group: [
      { name: 'gpu', kind: 'KIND_GPU' },
      { name: 'auto', kind: 'KIND_AUTO' },
      { name: 'cpu', kind: 'KIND_CPU' },
    ],
  };

  it('uses CUDA without fallback for KIND_GPU', () => {
    expect(chooseProvider(config, { index: 0, groupName: 'gpu', device: 'gpu:1' })).toEqual({ provider: 'cuda', deviceId: 1, fallbackToCpu: false });
  });

  it('uses CUDA with CPU fallback for KIND_AUTO on a GPU, and the CPU otherwise', () => {
    expect(chooseProvider(config, { index: 0, groupName: 'auto', device: 'gpu:0' })).toEqual({ provider: 'cuda', deviceId: 0, fallbackToCpu: true });
    expect(chooseProvider(config, { index: 0, groupName: 'auto', device: 'cpu' }).provider).toBe('cpu');
    expect(chooseProvider(config, { index: 0, groupName: 'cpu', device: 'gpu:0' }).provider).toBe('cpu');
    expect(chooseProvider(config, { index: 0, groupName: 'unknown', device: 'cpu' }).provider).toBe('cpu');
  });

  it('builds the execution provider list', () => {
    expect(withProvider({}, 'cuda', 2).executionProviders).toEqual([{ name: 'cuda', deviceId: 2 }]);
    expect(withProvider({}, 'cpu', 0).executionProviders).toEqual([{ name: 'cpu' }]);
  });
});
