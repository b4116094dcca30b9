/**
 * Lists the external-data references of an ONNX model (tensors whose bytes live in another file,
 * named by a `location` relative to the model file). onnxruntime opens those files itself, so a
 * location such as `../../etc/shadow` would make it read outside the repository; inferd checks
 * every reference before the engine sees the model.
 *
 * NOTE: this walks the protobuf wire format instead of decoding messages: C++ protobuf (what
 * onnxruntime uses) merges repeated occurrences of a singular message field, while protobufjs
 * keeps only the last one, so a decoded view could miss a tensor hidden in an earlier `graph`.
 * Visiting every occurrence of every tensor-carrying field sees what the engine will see.
 */
import protobuf from 'protobufjs';

/** Message kinds on the path from ModelProto to TensorProto. */
type Kind = 'model' | 'training' | 'function' | 'graph' | 'node' | 'attribute' | 'sparse' | 'tensor';

/** Field number → child kind, extracted from onnx/onnx `onnx/onnx.proto` (tensor-carrying fields only). */
const CHILDREN: Readonly<Record<Exclude<Kind, 'tensor'>, Readonly<Record<number, Kind>>>> = {
  model: { 7: 'graph', 20: 'training', 25: 'function' },
  training: { 1: 'graph', 2: 'graph' },
  function: { 7: 'node' },
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' },
  node: { 5: 'attribute' },
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' },
  sparse: { 1: 'tensor', 2: 'tensor' },
};

const WIRE_LENGTH_DELIMITED = 2;
const WIRE_VARINT = 0;
/** TensorProto fields: name, external_data, data_location; StringStringEntryProto: key, value. */
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
/** ONNX `TensorProto.DataLocation.EXTERNAL`. */
const EXTERNAL = 1;

/** One external file reference of a tensor. */
export interface ExternalDataRef {
  readonly tensor: string;
  /** Path relative to the model file's folder; undefined when the tensor names none. */
  readonly location: string | undefined;
  /** Largest `offset` and `length` given for the tensor, as written (decimal strings). */
  readonly offset: string | undefined;
  readonly length: string | undefined;
}

function readEntry(bytes: Uint8Array): { key: string; value: string } {
  const r = protobuf.Reader.create(bytes);
  let key = '';
  let value = '';
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === ENTRY_KEY && (tag & 7) === WIRE_LENGTH_DELIMITED) key = r.string();
    else if (tag >>> 3 === ENTRY_VALUE && (tag & 7) === WIRE_LENGTH_DELIMITED) value = r.string();
    else r.skipType(tag & 7);
  }
  return { key, value };
}

function largest(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  // NOTE: a non-numeric value wins, so that the caller reports it instead of a number hiding it.
  const odd = values.find((v) => !/^[0-9]{1,15}$/.test(v));
  return odd ?? values.reduce((a, b) => (Number(b) > Number(a) ? b : a));
}

function readTensor(bytes: Uint8Array, out: ExternalDataRef[]): void {
  const r = protobuf.Reader.create(bytes);
  let name = '';
  let external = false;
  const entries: { key: string; value: string }[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === TENSOR_NAME && wire === WIRE_LENGTH_DELIMITED) name = r.string();
    else if (field === TENSOR_EXTERNAL_DATA && wire === WIRE_LENGTH_DELIMITED) entries.push(readEntry(r.bytes()));
    else if (field === TENSOR_DATA_LOCATION && wire === WIRE_VARINT) external = r.int32() === EXTERNAL || external;
    else r.skipType(wire);
  }
  if (!external && entries.length === 0) return;
  const of = (key: string): string[] => entries.filter((e) => e.key === key).map((e) => e.value);
  const locations = of('location');
  const offset = largest(of('offset'));
  const length = largest(of('length'));
  if (locations.length === 0) out.push({ tensor: name, location: undefined, offset, length });
  for (const location of locations) out.push({ tensor: name, location, offset, length });
}

/** Every external-data reference in ONNX model bytes; throws an Error when the wire format is malformed. */
export function onnxExternalDataRefs(bytes: Uint8Array): ExternalDataRef[] {
  const out: ExternalDataRef[] = [];
  // NOTE: an explicit stack, so hostile nesting depth cannot overflow the call stack.
  const stack: { kind: Kind; bytes: Uint8Array }[] = [{ kind: 'model', bytes }];
  try {
    for (let item = stack.pop(); item; item = stack.pop()) {
      if (item.kind === 'tensor') {
        readTensor(item.bytes, out);
        continue;
      }
      const children = CHILDREN[item.kind];
      const r = protobuf.Reader.create(item.bytes);
      while (r.pos < r.len) {
        const tag = r.uint32();
        const child = children[tag >>> 3];
        if (child && (tag & 7) === WIRE_LENGTH_DELIMITED) stack.push({ kind: child, bytes: r.bytes() });
        else r.skipType(tag & 7);
      }
    }
  } catch (err) {
    throw new Error(`not a valid ONNX model: protobuf decoding failed (${err instanceof Error ? err.message : String(err)})`);
  }
  return out;
}
