/**
 * `simple` and `simple_string`, after Triton's quick-start models: OUTPUT0 = INPUT0 + INPUT1 and
 * OUTPUT1 = INPUT0 - INPUT1 on 16-element INT32 vectors, the string variant on decimal strings.
 */
import { encodeOnnxModel, ONNX_ELEM_TYPE } from '../../formats/onnx/index.js';
import type { ExampleModel } from './example-model.js';

const SHAPE = ['batch', 16] as const;

function configText(name: string, type: 'TYPE_INT32' | 'TYPE_STRING'): string {
  const tensor = (tensorName: string): string => `  {
    name: "${tensorName}"
    data_type: ${type}
    dims: [ 16 ]
  }`;
  return `name: "${name}"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
${tensor('INPUT0')},
${tensor('INPUT1')}
]
output [
${tensor('OUTPUT0')},
${tensor('OUTPUT1')}
]
`;
}

/** The `simple` example: INT32 add and subtract. */
export function simpleExample(): ExampleModel {
  const io = (name: string) => ({ name, datatype: 'INT32' as const, shape: SHAPE });
  const onnx = encodeOnnxModel({
    graph: {
      name: 'simple',
      inputs: [io('INPUT0'), io('INPUT1')],
      outputs: [io('OUTPUT0'), io('OUTPUT1')],
      nodes: [
        { opType: 'Add', inputs: ['INPUT0', 'INPUT1'], outputs: ['OUTPUT0'] },
        { opType: 'Sub', inputs: ['INPUT0', 'INPUT1'], outputs: ['OUTPUT1'] },
      ],
    },
  });
  return { name: 'simple', configText: configText('simple', 'TYPE_INT32'), files: { '1/model.onnx': onnx } };
}

/** The `simple_string` example: the same arithmetic on decimal strings, via Cast. */
export function simpleStringExample(): ExampleModel {
  const io = (name: string) => ({ name, datatype: 'BYTES' as const, shape: SHAPE });
  const cast = (input: string, output: string, to: number) => ({
    opType: 'Cast',
    inputs: [input],
    outputs: [output],
    attributes: { to: { type: 'INT' as const, value: to } },
  });
  const onnx = encodeOnnxModel({
    graph: {
      name: 'simple_string',
      inputs: [io('INPUT0'), io('INPUT1')],
      outputs: [io('OUTPUT0'), io('OUTPUT1')],
      nodes: [
        cast('INPUT0', 'a', ONNX_ELEM_TYPE.INT32),
        cast('INPUT1', 'b', ONNX_ELEM_TYPE.INT32),
        { opType: 'Add', inputs: ['a', 'b'], outputs: ['sum'] },
        { opType: 'Sub', inputs: ['a', 'b'], outputs: ['difference'] },
        cast('sum', 'OUTPUT0', ONNX_ELEM_TYPE.BYTES),
        cast('difference', 'OUTPUT1', ONNX_ELEM_TYPE.BYTES),
      ],
    },
  });
  return { name: 'simple_string', configText: configText('simple_string', 'TYPE_STRING'), files: { '1/model.onnx': onnx } };
}
