/**
 * `simple_sequence` (direct strategy) and `simple_dyna_sequence` (oldest strategy, CORRID), after
 * Triton's examples of the same names, as stateless ONNX graphs whose accumulator is the sequence
 * batcher's implicit state (INPUT_STATE in, OUTPUT_STATE out).
 *
 * Behaviour: START answers INPUT + 1 (as Triton's examples do: 0 → 1, 100 → 101); every later
 * request answers the previous answer + INPUT, so the result is 1 + the running sum of the
 * sequence's inputs. `simple_dyna_sequence` also adds the correlation id to the END response, as
 * Triton's documents. Difference from Triton: its shipped graphdef models are frozen graphs that
 * cannot keep state, so their later responses echo INPUT; these really accumulate.
 * As in Triton, INPUT_STATE/OUTPUT_STATE appear only under `sequence_batching.state`.
 */
import type { DataType } from '../../core/types.js';
import { encodeOnnxModel, ONNX_ELEM_TYPE, type OnnxNode } from '../../formats/onnx/index.js';
import type { ExampleModel } from './example-model.js';

/** Maximum batch size of both sequence examples. */
export const SEQUENCE_MAX_BATCH = 8;

const SHAPE = ['batch', 1] as const;
const io = (name: string, datatype: DataType = 'INT32') => ({ name, datatype, shape: SHAPE });
const toBool = (input: string, output: string): OnnxNode => ({
  opType: 'Cast',
  inputs: [input],
  outputs: [output],
  attributes: { to: { type: 'INT', value: ONNX_ELEM_TYPE.BOOL } },
});
const ONE = { name: 'one', datatype: 'INT32' as const, shape: [1], data: Int32Array.of(1) };
const ZERO = { name: 'zero', datatype: 'INT32' as const, shape: [1], data: Int32Array.of(0) };

/** Nodes shared by both graphs: OUTPUT_STATE = READY ? (START ? 1 : INPUT_STATE) + INPUT : INPUT_STATE. */
const ACCUMULATE: OnnxNode[] = [
  toBool('START', 'start'),
  toBool('READY', 'ready'),
  { opType: 'Where', inputs: ['start', 'one', 'INPUT_STATE'], outputs: ['base'] },
  { opType: 'Add', inputs: ['base', 'INPUT'], outputs: ['sum'] },
  { opType: 'Where', inputs: ['ready', 'sum', 'INPUT_STATE'], outputs: ['OUTPUT_STATE'] },
];

function tensor(name: string, dataType = 'TYPE_INT32'): string {
  return `  {
    name: "${name}"
    data_type: ${dataType}
    dims: [ 1 ]
  }`;
}

function booleanControl(name: string, kind: string): string {
  return `    {
      name: "${name}"
      control [ { kind: ${kind} int32_false_true: [ 0, 1 ] } ]
    }`;
}

const STATE = `  state [
    {
      input_name: "INPUT_STATE"
      output_name: "OUTPUT_STATE"
      data_type: TYPE_INT32
      dims: [ 1 ]
      initial_state: { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true name: "zero" }
    }
  ]`;

function configText(name: string, strategy: string, controls: readonly string[]): string {
  return `name: "${name}"
platform: "onnxruntime_onnx"
max_batch_size: ${SEQUENCE_MAX_BATCH}
sequence_batching {
${strategy}
  max_sequence_idle_microseconds: 5000000
  control_input [
${controls.join(',\n')}
  ]
${STATE}
}
input [
${tensor('INPUT')}
]
output [
${tensor('OUTPUT')}
]
instance_group [ { kind: KIND_CPU count: 1 } ]
`;
}

/** `simple_sequence`: direct strategy, START and READY controls, OUTPUT = 1 + running sum. */
export function simpleSequenceExample(): ExampleModel {
  const onnx = encodeOnnxModel({
    graph: {
      name: 'simple_sequence',
      inputs: [io('INPUT'), io('START'), io('READY'), io('INPUT_STATE')],
      outputs: [io('OUTPUT'), io('OUTPUT_STATE')],
      initializers: [ONE],
      nodes: [...ACCUMULATE, { opType: 'Identity', inputs: ['OUTPUT_STATE'], outputs: ['OUTPUT'] }],
    },
  });
  const controls = [booleanControl('START', 'CONTROL_SEQUENCE_START'), booleanControl('READY', 'CONTROL_SEQUENCE_READY')];
  return {
    name: 'simple_sequence',
    configText: configText('simple_sequence', '  direct { }', controls),
    files: { '1/model.onnx': onnx },
  };
}

/** `simple_dyna_sequence`: oldest strategy with START/END/READY/CORRID; END adds the correlation id. */
export function simpleDynaSequenceExample(): ExampleModel {
  const onnx = encodeOnnxModel({
    graph: {
      name: 'simple_dyna_sequence',
      inputs: [io('INPUT'), io('START'), io('END'), io('READY'), io('CORRID', 'UINT64'), io('INPUT_STATE')],
      outputs: [io('OUTPUT'), io('OUTPUT_STATE')],
      initializers: [ONE, ZERO],
      nodes: [
        ...ACCUMULATE,
        toBool('END', 'end'),
        { opType: 'Cast', inputs: ['CORRID'], outputs: ['corrid'], attributes: { to: { type: 'INT', value: ONNX_ELEM_TYPE.INT32 } } },
        { opType: 'Where', inputs: ['end', 'corrid', 'zero'], outputs: ['bonus'] },
        { opType: 'Add', inputs: ['OUTPUT_STATE', 'bonus'], outputs: ['OUTPUT'] },
      ],
    },
  });
  const controls = [
    booleanControl('START', 'CONTROL_SEQUENCE_START'),
    booleanControl('END', 'CONTROL_SEQUENCE_END'),
    booleanControl('READY', 'CONTROL_SEQUENCE_READY'),
    `    {
      name: "CORRID"
      control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ]
    }`,
  ];
  const strategy = `  oldest {
    max_candidate_sequences: 4
    preferred_batch_size: [ 2, 4 ]
    max_queue_delay_microseconds: 100
  }`;
  return {
    name: 'simple_dyna_sequence',
    configText: configText('simple_dyna_sequence', strategy, controls),
    files: { '1/model.onnx': onnx },
  };
}
