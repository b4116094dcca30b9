/**
 * `simple_ensemble`: Triton's ensemble platform over the `simple` example, run twice. Step 0 maps
 * (INPUT0, INPUT1) to (sum, difference); step 1 feeds those back into `simple`, so
 * OUTPUT0 = 2·INPUT0 and OUTPUT1 = 2·INPUT1, which makes the data flow easy to check by hand.
 */
import type { ExampleModel } from './example-model.js';

/** The `simple_ensemble` example: two chained `simple` steps. */
export function simpleEnsembleExample(): ExampleModel {
  const tensor = (name: string): string => `  {
    name: "${name}"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }`;
  const configText = `name: "simple_ensemble"
platform: "ensemble"
max_batch_size: 8
input [
${tensor('INPUT0')},
${tensor('INPUT1')}
]
output [
${tensor('OUTPUT0')},
${tensor('OUTPUT1')}
]
ensemble_scheduling {
  step [
    {
      model_name: "simple"
      model_version: -1
      input_map { key: "INPUT0" value: "INPUT0" }
      input_map { key: "INPUT1" value: "INPUT1" }
      output_map { key: "OUTPUT0" value: "sum" }
      output_map { key: "OUTPUT1" value: "difference" }
    },
    {
      model_name: "simple"
      model_version: -1
      input_map { key: "INPUT0" value: "sum" }
      input_map { key: "INPUT1" value: "difference" }
      output_map { key: "OUTPUT0" value: "OUTPUT0" }
      output_map { key: "OUTPUT1" value: "OUTPUT1" }
    }
  ]
}
`;
  // NOTE: an ensemble's version folder holds no model file; Triton only needs it to exist.
  return { name: 'simple_ensemble', configText, files: { '1/.keep': '' } };
}
