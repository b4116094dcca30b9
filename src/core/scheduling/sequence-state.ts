/**
 * Implicit state of the sequence batcher (`sequence_batching.state`): per sequence, the batcher
 * feeds the state tensor `input_name` and stores output `output_name` after each execution as
 * the next state, so a stateless model (e.g. ONNX) carries state between requests.
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { configDataTypeToDataType, dataTypeByteSize } from '../../config/datatypes.js';
import type { ModelConfig, SequenceState } from '../../config/model-config.js';
import type { DataType, Tensor, TensorData } from '../types.js';

/** One configured state with its initial value (without the batch dimension). */
export interface StateSlot {
  readonly inputName: string;
  readonly outputName: string;
  readonly datatype: DataType;
  readonly initial: Tensor;
}

/** Triton reads `initial_state.data_file` from this folder of the model directory. */
export const INITIAL_STATE_FOLDER = 'initial_state';

function zeroData(datatype: DataType, count: number): TensorData {
  switch (datatype) {
    case 'BYTES':
      return Array.from({ length: count }, () => new Uint8Array(0));
    case 'INT8':
      return new Int8Array(count);
    case 'UINT16':
    case 'FP16':
    case 'BF16':
      return new Uint16Array(count);
    case 'INT16':
      return new Int16Array(count);
    case 'UINT32':
      return new Uint32Array(count);
    case 'INT32':
      return new Int32Array(count);
    case 'UINT64':
      return new BigUint64Array(count);
    case 'INT64':
      return new BigInt64Array(count);
    case 'FP32':
      return new Float32Array(count);
    case 'FP64':
      return new Float64Array(count);
    default:
      return new Uint8Array(count);
  }
}

/** Zero-filled data of `count` elements of `datatype`. */
export function zeros(datatype: DataType, count: number): TensorData {
  return zeroData(datatype, count);
}

/** Copies raw little-endian bytes into typed storage of `datatype`. */
function fromBytes(datatype: DataType, bytes: Uint8Array, count: number): TensorData {
  const out = zeroData(datatype, count);
  if (Array.isArray(out)) throw new Error('BYTES initial state from a data file is not supported');
  new Uint8Array((out as Uint8Array).buffer).set(bytes.subarray(0, count * dataTypeByteSize(datatype)));
  return out;
}

/** Reads `<modelDir>/initial_state/<file>`, refusing any path that leaves that folder. */
function readStateFile(modelDir: string, file: string, stateName: string): Uint8Array {
  const folder = path.resolve(modelDir, INITIAL_STATE_FOLDER);
  const target = path.resolve(folder, file);
  if (path.isAbsolute(file) || !target.startsWith(folder + path.sep)) {
    throw new Error(`initial_state data_file '${file}' of state '${stateName}' must name a file inside the model's '${INITIAL_STATE_FOLDER}' folder`);
  }
  // NOTE: resolve symlinks too, so a link inside the folder cannot point elsewhere.
  const real = realpathSync(target);
  const realFolder = realpathSync(folder);
  if (!real.startsWith(realFolder + path.sep)) {
    throw new Error(`initial_state data_file '${file}' of state '${stateName}' resolves outside the model's '${INITIAL_STATE_FOLDER}' folder`);
  }
  return readFileSync(real);
}

function stateSlot(s: SequenceState, modelDir: string): StateSlot {
  const datatype = configDataTypeToDataType(s.data_type);
  const init = s.initial_state?.[0];
  if (init?.dims.some((d) => d < 0)) {
    throw new Error(`'initial_state' field for state input name '${s.input_name}' contains variable dimensions.`);
  }
  // NOTE: without an initial_state, variable state dims start at size 1 (zeros).
  const dims = init?.dims?.length ? init.dims : s.dims.map((d) => (d < 0 ? 1 : d));
  const count = dims.reduce((a, b) => a * b, 1);
  let data = zeroData(datatype, count);
  if (init?.data_file) {
    const bytes = readStateFile(modelDir, init.data_file, s.input_name);
    const need = count * dataTypeByteSize(datatype);
    if (bytes.length < need) {
      throw new Error(`initial_state setting expects ${need} bytes, but the data provided from ${init.data_file} only has ${bytes.length} bytes`);
    }
    data = fromBytes(datatype, bytes, count);
  }
  return { inputName: s.input_name, outputName: s.output_name, datatype, initial: { name: s.input_name, datatype, shape: dims, data } };
}

/** Resolves every configured state; throws an Error (failing the load) on a bad initial value. */
export function loadStateSlots(config: ModelConfig, modelDir: string): StateSlot[] {
  return (config.sequence_batching?.state ?? []).map((s) => stateSlot(s, modelDir));
}

/** The state tensors of one sequence, without the batch dimension. */
export class SequenceStateStore {
  private readonly current = new Map<string, Tensor>();

  constructor(private readonly slots: readonly StateSlot[]) {
    this.reset();
  }

  /** Back to the initial values (a START). */
  reset(): void {
    for (const s of this.slots) this.current.set(s.inputName, s.initial);
  }

  /** State inputs for the next execution, shaped with a batch dimension of 1 when `batching`. */
  inputs(batching: boolean): Tensor[] {
    return this.slots.map((s) => {
      const t = this.current.get(s.inputName) as Tensor;
      return batching ? { ...t, shape: [1, ...t.shape] } : t;
    });
  }

  /** Takes the state outputs of an execution as the next state. */
  update(outputs: readonly Tensor[], batching: boolean): void {
    for (const s of this.slots) {
      const out = outputs.find((o) => o.name === s.outputName);
      if (!out) continue;
      const shape = batching ? out.shape.slice(1) : out.shape;
      this.current.set(s.inputName, { name: s.inputName, datatype: out.datatype, shape, data: out.data });
    }
  }
}
