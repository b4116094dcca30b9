/**
 * The model catalog's types: a model is one set of weights in several builds ("profiles"),
 * each tagged with the engine, device and precision it needs and the Hub files it comes from.
 * The file format (JSON or YAML) is documented in docs/catalog.md.
 */

/** Engines a profile can run on. */
export type EngineName = 'llamacpp' | 'onnxruntime';

/** Devices a profile can target. */
export type DeviceKind = 'cpu' | 'cuda' | 'vulkan' | 'metal';

/** What a model is for; embedding models need no KV cache and refuse generation. */
export type ModelTask = 'chat' | 'completion' | 'embedding';

/** Every engine name, in a stable order. */
export const ENGINE_NAMES: readonly EngineName[] = ['llamacpp', 'onnxruntime'];

/** Every device kind, in a stable order. */
export const DEVICE_KINDS: readonly DeviceKind[] = ['cpu', 'cuda', 'vulkan', 'metal'];

/** Every task, in a stable order. */
export const MODEL_TASKS: readonly ModelTask[] = ['chat', 'completion', 'embedding'];

/**
 * The shape numbers that size the KV cache and compute buffers, named after the GGUF metadata
 * keys they come from (`<arch>.block_count`, `<arch>.attention.head_count_kv`, ...).
 */
export interface ModelArchitecture {
  /** GGUF `general.architecture`, e.g. `llama`, `qwen2`, `nomic-bert`. */
  readonly architecture: string;
  /** Parameter count; sizes the weights when no file size is known. */
  readonly parameterCount: number;
  readonly blockCount: number;
  readonly embeddingLength: number;
  readonly headCount: number;
  readonly headCountKv: number;
  /** Per-head key (and value) width; `embeddingLength / headCount` in most models. */
  readonly headDim: number;
  readonly vocabSize: number;
  /** Training context in tokens. */
  readonly contextLength: number;
}

/** One file of a profile's source; the first file of a source is the one the engine loads. */
export interface SourceFile {
  /** Path inside the repository. */
  readonly path: string;
  /** Lower-case hex sha256 of the content, when the catalog author has verified it. */
  readonly sha256?: string;
  /** Size in bytes, when known; sizes the weights before the file is downloaded. */
  readonly sizeBytes?: number;
}

/** Where a profile's files come from on a Hugging Face-compatible Hub. */
export interface ProfileSource {
  /** `owner/name`. */
  readonly repo: string;
  /** Branch, tag or 40-hex commit; `main` when absent in the file. */
  readonly revision: string;
  readonly files: readonly SourceFile[];
}

/** One build of a model as written in a catalog. */
export interface CatalogProfile {
  /** Readable name; defaults to `<engine>-<device>-<precision>`. */
  readonly name?: string;
  readonly engine: EngineName;
  readonly device: DeviceKind;
  /** Lower-case precision or quantization: `f32`, `f16`, `bf16`, `q8_0`, `q4_k_m`, ... */
  readonly precision: string;
  /** Largest context this profile supports; defaults to the model's training context. */
  readonly contextLength?: number;
  /** Memory the catalog author measured, overriding the estimate when larger. */
  readonly minMemoryBytes?: number;
  readonly source: ProfileSource;
}

/** One model: a name users type, its shape, and its builds. */
export interface CatalogModel {
  /** Lower-case name, e.g. `smollm2-135m-instruct`; letters, digits, `.`, `_`, `-`. */
  readonly name: string;
  readonly description?: string;
  readonly task: ModelTask;
  readonly license?: string;
  readonly architecture: ModelArchitecture;
  readonly profiles: readonly CatalogProfile[];
}

/** A whole catalog file. */
export interface Catalog {
  readonly version: 1;
  readonly models: readonly CatalogModel[];
}

/** A catalog profile with its identity filled in. */
export interface ModelProfile extends CatalogProfile {
  /** sha256 (hex) of the canonical profile content; stable across key order and formatting. */
  readonly id: string;
  readonly name: string;
  /** Name of the model this profile belongs to. */
  readonly model: string;
}

/** The tags a selector can match (`INFERD_TAGS_SELECTOR=precision=q8_0,device=cpu`). */
export type ProfileTagName = 'engine' | 'device' | 'precision' | 'name';
