import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from './model-config.js';
import { normalizeModelConfig } from './normalize-model-config.js';
import { parseModelConfig } from './pbtxt/parse-model-config.js';

const fixture = (name: string) => parseModelConfig(readFileSync(new URL(`./testdata/${name}.pbtxt`, import.meta.url), 'utf8'));

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
}

const io = (name: string): ModelConfig['input'] => [{ name, data_type: 'TYPE_FP32', dims: [-1] }];

describe('normalizeModelConfig', () => {
  it("reproduces Triton's /config JSON for densenet_onnx byte for byte", () => {
    const parsed = parseModelConfig(`
      platform: "onnxruntime_onnx"
      input [ { name: "data_0" data_type: TYPE_FP32 dims: [ 1, 3, 224, 224 ] } ]
      output [ { name: "fc6_1" data_type: TYPE_FP32 dims: [ 1, 1000, 1, 1 ] } ]`);
    expect(JSON.stringify(normalizeModelConfig(parsed, { modelName: 'densenet_onnx' }))).toBe(
      '{"name":"densenet_onnx","platform":"onnxruntime_onnx","backend":"onnxruntime","runtime":"","version_policy":{"latest":{"num_versions":1}},"max_batch_size":0,"input":[{"name":"data_0","data_type":"TYPE_FP32","format":"FORMAT_NONE","dims":[1,3,224,224],"is_shape_tensor":false,"allow_ragged_batch":false,"optional":false,"is_non_linear_format_io":false}],"output":[{"name":"fc6_1","data_type":"TYPE_FP32","dims":[1,1000,1,1],"label_filename":"","is_shape_tensor":false,"is_non_linear_format_io":false}],"batch_input":[],"batch_output":[],"optimization":{"priority":"PRIORITY_DEFAULT","input_pinned_memory":{"enable":true},"output_pinned_memory":{"enable":true},"gather_kernel_buffer_threshold":0,"eager_batching":false},"instance_group":[{"name":"densenet_onnx","kind":"KIND_CPU","count":2,"gpus":[],"secondary_devices":[],"profile":[],"passive":false,"host_policy":""}],"default_model_filename":"model.onnx","cc_model_filenames":{},"metric_tags":{},"parameters":{},"model_warmup":[]}',
    );
  });

  it('is pure and idempotent', () => {
    for (const name of ['simple', 'simple_dyna_sequence', 'implicit_state', 'priority_batching', 'preprocess_resnet50_ensemble']) {
      const input = deepFreeze(fixture(name));
      const once = normalizeModelConfig(input, { modelName: name });
      expect(normalizeModelConfig(once, { modelName: name })).toEqual(once);
    }
  });

  it('keeps a configured name and takes the directory name otherwise', () => {
    expect(normalizeModelConfig({ name: 'cfg', backend: 'identity' }, { modelName: 'dir' }).name).toBe('cfg');
    expect(normalizeModelConfig({ name: '', backend: 'identity' }, { modelName: 'dir' }).name).toBe('dir');
  });

  describe('instance groups', () => {
    it('adds one group named after the model: 2 CPU instances for onnxruntime, 1 for other backends', () => {
      expect(normalizeModelConfig(fixture('simple'), { modelName: 'simple' }).instance_group).toEqual([
        { name: 'simple', kind: 'KIND_CPU', count: 2, gpus: [], secondary_devices: [], profile: [], passive: false, host_policy: '' },
      ]);
      expect(normalizeModelConfig({ name: 'm', backend: 'identity' }, { modelName: 'm' }).instance_group?.[0]).toMatchObject({
        name: 'm',
        kind: 'KIND_CPU',
        count: 1,
      });
    });

    it('puts KIND_AUTO groups on every GPU when GPUs exist, one instance each', () => {
      expect(normalizeModelConfig(fixture('simple'), { modelName: 'simple', gpuCount: 2 }).instance_group?.[0]).toMatchObject({
        kind: 'KIND_GPU',
        count: 1,
        gpus: [0, 1],
      });
    });

    it('names unnamed groups <model>_<index> and falls back to CPU when a listed GPU is missing', () => {
      const c = normalizeModelConfig(
        {
          name: 'm',
          backend: 'onnxruntime',
          instance_group: [{ kind: 'KIND_AUTO', gpus: [3] }, { name: 'mine', count: 4, kind: 'KIND_GPU' }, { kind: 'KIND_MODEL' }],
        },
        { modelName: 'm', gpuCount: 2 },
      );
      expect(c.instance_group?.map((g) => [g.name, g.kind, g.count, g.gpus])).toEqual([
        ['m_0', 'KIND_CPU', 2, [3]],
        ['mine', 'KIND_GPU', 4, [0, 1]],
        ['m_2', 'KIND_MODEL', 1, []],
      ]);
    });
  });

  describe('backend and platform', () => {
    it.each([
      [{ backend: 'onnxruntime' }, 'onnxruntime', 'onnxruntime_onnx', 'model.onnx'],
      [{ platform: 'onnxruntime_onnx' }, 'onnxruntime', 'onnxruntime_onnx', 'model.onnx'],
      [{ default_model_filename: 'model.onnx' }, 'onnxruntime', 'onnxruntime_onnx', 'model.onnx'],
      [{ platform: 'tensorrt_plan' }, 'tensorrt', 'tensorrt_plan', 'model.plan'],
      [{ default_model_filename: 'model.savedmodel' }, 'tensorflow', 'tensorflow_savedmodel', 'model.savedmodel'],
      [{ platform: 'tensorflow_graphdef' }, 'tensorflow', 'tensorflow_graphdef', 'model.graphdef'],
      [{ backend: 'pytorch' }, 'pytorch', 'pytorch_libtorch', 'model.pt'],
      [{ platform: 'torch_aoti' }, 'pytorch', 'torch_aoti', 'model.pt2'],
      [{ default_model_filename: 'model.py' }, 'python', '', 'model.py'],
      [{ backend: 'openvino' }, 'openvino', '', 'model.xml'],
      [{ backend: 'identity' }, 'identity', '', ''],
      [{ platform: 'ensemble' }, '', 'ensemble', ''],
    ] as const)('completes %j', (given, backend, platform, filename) => {
      const c = normalizeModelConfig({ name: 'm', ...given }, { modelName: 'm' });
      expect([c.backend, c.platform, c.default_model_filename]).toEqual([backend, platform, filename]);
    });

    it("uses the serving backend's file name only when Triton's rules leave it empty", () => {
      expect(normalizeModelConfig({ name: 'm', backend: 'llamacpp' }, { modelName: 'm', defaultModelFilename: 'model.gguf' }).default_model_filename).toBe('model.gguf');
      expect(normalizeModelConfig({ name: 'm', backend: 'onnxruntime' }, { modelName: 'm', defaultModelFilename: 'x.bin' }).default_model_filename).toBe('model.onnx');
    });
  });

  describe('schedulers', () => {
    it('fills dynamic batching defaults, preferred size = max_batch_size, and queue policy defaults', () => {
      const c = normalizeModelConfig(
        { name: 'm', backend: 'identity', max_batch_size: 8, input: io('I'), output: io('O'), dynamic_batching: { priority_queue_policy: { '1': {} } } },
        { modelName: 'm' },
      );
      expect(c.dynamic_batching).toEqual({
        preferred_batch_size: [8],
        max_queue_delay_microseconds: 0,
        preserve_ordering: false,
        priority_levels: 0,
        default_priority_level: 0,
        priority_queue_policy: {
          '1': { timeout_action: 'REJECT', default_timeout_microseconds: 0, allow_timeout_override: false, max_queue_size: 0 },
        },
      });
      expect(normalizeModelConfig(fixture('priority_batching'), { modelName: 'm' }).dynamic_batching?.preferred_batch_size).toEqual([8, 16]);
      const unbatched = normalizeModelConfig({ name: 'm', backend: 'identity', dynamic_batching: {} }, { modelName: 'm' });
      expect(unbatched.dynamic_batching?.preferred_batch_size).toEqual([]);
    });

    it('fills sequence batching defaults: idle timeout, oldest preferred sizes, control fields', () => {
      const seq = normalizeModelConfig(fixture('simple_dyna_sequence'), { modelName: 'm' }).sequence_batching;
      expect(seq?.max_sequence_idle_microseconds).toBe(10_000_000);
      expect(seq?.oldest).toEqual({ max_candidate_sequences: 1024, preferred_batch_size: [8], max_queue_delay_microseconds: 10_000, preserve_ordering: false });
      expect(seq?.control_input?.[3]?.control[0]).toEqual({
        kind: 'CONTROL_SEQUENCE_CORRID',
        int32_false_true: [],
        fp32_false_true: [],
        bool_false_true: [],
        data_type: 'TYPE_UINT64',
      });
      const state = normalizeModelConfig(fixture('implicit_state'), { modelName: 'm' }).sequence_batching;
      expect(state?.max_sequence_idle_microseconds).toBe(1_000_000);
      expect(state?.state?.[0]).toMatchObject({ use_same_buffer_for_input_output: false, use_growable_memory: false });
      expect(state?.state?.[0]?.initial_state?.[0]).toEqual({ data_type: 'TYPE_INT32', dims: [1], zero_data: true, name: 'initial state' });
      expect(state?.iterative_sequence).toBe(false);
    });

    it('leaves ensembles without instance groups or optimization', () => {
      const c = normalizeModelConfig(fixture('preprocess_resnet50_ensemble'), { modelName: 'e' });
      expect(c.instance_group).toEqual([]);
      expect(c.optimization).toBeUndefined();
      expect(c.ensemble_scheduling?.step[0]).toEqual({
        model_name: 'image_preprocess_nchw_3x224x224_inception',
        model_version: -1,
        input_map: { INPUT: 'INPUT' },
        output_map: { OUTPUT: 'preprocessed_image' },
        model_namespace: '',
      });
      expect(c.ensemble_scheduling).toHaveProperty('max_inflight_responses', 0);
    });
  });

  it('orders keys as model_config.proto declares them and leaves unset messages out', () => {
    const c = normalizeModelConfig({ name: 'm', backend: 'identity', model_transaction_policy: { decoupled: true } }, { modelName: 'm' });
    expect(Object.keys(c)).toEqual([
      'name', 'platform', 'backend', 'runtime', 'version_policy', 'max_batch_size', 'input', 'output', 'batch_input', 'batch_output',
      'optimization', 'instance_group', 'default_model_filename', 'cc_model_filenames', 'metric_tags', 'parameters', 'model_warmup',
      'model_transaction_policy',
    ]);
  });

  it('keeps explicit version policies and fills their fields', () => {
    expect(normalizeModelConfig({ name: 'm', backend: 'identity', version_policy: { all: {} } }, { modelName: 'm' }).version_policy).toEqual({ all: {} });
    expect(normalizeModelConfig({ name: 'm', backend: 'identity', version_policy: { specific: {} as never } }, { modelName: 'm' }).version_policy).toEqual({
      specific: { versions: [] },
    });
  });
});
