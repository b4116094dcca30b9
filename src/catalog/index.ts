/**
 * The model catalog: hardware inspection, catalog files and profiles, profile selection with
 * memory estimates, a Hugging Face-compatible download cache, and `resolveModelReference`,
 * which turns what a user types after `inferd serve` into a local GGUF file.
 */
export { BUILTIN_CATALOG } from './builtin-catalog.js';
export { CATALOG_ERROR_CODES, CatalogError, type CatalogErrorCode } from './catalog-errors.js';
export { catalogSettingsFromEnv, envFlag, type CatalogSettings } from './catalog-settings.js';
export {
  DEVICE_KINDS,
  ENGINE_NAMES,
  type Catalog,
  type CatalogModel,
  type CatalogProfile,
  type DeviceKind,
  type EngineName,
  type ModelArchitecture,
  type ModelProfile,
  type ModelTask,
  type SourceFile,
} from './catalog-types.js';
export { estimateGgufFileMemory, ggufModelFacts, type GgufModelFacts } from './gguf-architecture.js';
export type { HardwareInfo, NvidiaGpu } from './hardware/hardware-types.js';
export { inspectHardware, type InspectOptions } from './hardware/inspect-hardware.js';
export { downloadHubFile, type DownloadEvent, type DownloadOptions, type DownloadResult } from './hub/download-file.js';
export { HubCache, defaultCacheDir } from './hub/hub-cache.js';
export { DEFAULT_HUB_ENDPOINT, HubClient, type HubClientOptions } from './hub/hub-client.js';
export { findModel, loadCatalog, readCatalogFile } from './load-catalog.js';
export {
  DEFAULT_MAX_SEQUENCES,
  defaultContextSize,
  estimateMemory,
  formatBytes,
  type MemoryEstimate,
  type MemoryRequest,
} from './memory-estimate.js';
export { parseModelReference, type ModelReference } from './model-reference.js';
export { parseCatalog } from './parse-catalog.js';
export { downloadProfile, knownFileSizes, type HubContext } from './profile-files.js';
export { canonicalJson, findProfile, identifyProfile, profileId } from './profile-id.js';
export {
  evaluateProfiles,
  parseTagsSelector,
  selectProfile,
  type ProfileEvaluation,
  type ProfileStatus,
  type SelectionRequest,
  type SelectionResult,
} from './profile-selection.js';
export { resolveModelReference, servedNameFromFile, type ResolveOptions, type ResolvedModel } from './resolve-model-reference.js';
export { checkSafeFile } from './safe-formats.js';
