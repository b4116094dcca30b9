/**
 * The generated example model repository and the builders behind it.
 */
export { generateExampleRepository, exampleModels } from './example-repository.js';
export type { ExampleModel } from './models/example-model.js';
export { identityOnnx, identityFp32Example, IDENTITY_FP32_MAX_BATCH } from './models/identity.js';
export { simpleExample, simpleStringExample } from './models/simple.js';
export { simpleEnsembleExample } from './models/ensemble.js';
export { mlpExample, mlpOnnx, mlpWeights, MLP_LABELS, MLP_MAX_BATCH, MLP_SEED, MLP_SIZES, type MlpWeights } from './models/mlp.js';
export { mulberry32, uniformFloat32 } from '../formats/prng.js';
export { tinyLlmExample, TINY_LLM_SEED } from './models/tiny-llm.js';
