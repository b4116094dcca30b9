/**
 * Profile selection, NIM style: drop profiles this machine cannot run (with the reason), flag
 * those that could run but do not fit in memory (with the memory needed), rank the rest
 * (accelerator over CPU, then the best precision), and honour the INFERD_MODEL_PROFILE and
 * INFERD_TAGS_SELECTOR overrides.
 */
import { CatalogError } from './catalog-errors.js';
import type { CatalogModel, DeviceKind, ModelProfile, ProfileTagName } from './catalog-types.js';
import type { HardwareInfo } from './hardware/hardware-types.js';
import { bitsPerWeight, estimateMemory, formatBytes, type MemoryEstimate, type MemoryRequest } from './memory-estimate.js';
import { findProfile, identifyProfile } from './profile-id.js';

/** Where a profile stands on this machine. */
export type ProfileStatus = 'runnable' | 'low-memory' | 'incompatible';

/** One profile judged against the hardware. */
export interface ProfileEvaluation {
  readonly profile: ModelProfile;
  readonly status: ProfileStatus;
  /** Why it is incompatible, or why memory is short; empty when runnable. */
  readonly reasons: readonly string[];
  readonly memory: MemoryEstimate;
  /** Memory the profile's device offers (RAM, or the largest GPU's free memory); undefined when unknown. */
  readonly availableBytes?: number;
}

/** Settings a selection is made for. */
export interface SelectionRequest extends MemoryRequest {
  /** INFERD_MODEL_PROFILE: a profile id, id prefix (≥ 8 hex) or name. */
  readonly profile?: string;
  /** INFERD_TAGS_SELECTOR: `key=value[,key=value]` over engine, device, precision, name. */
  readonly tagsSelector?: string;
  /** Known file sizes (`repo/revision/path` → bytes), e.g. from the Hub or the cache; refines weights. */
  readonly fileSizes?: ReadonlyMap<string, number>;
}

/** The chosen profile with every evaluation, best first. */
export interface SelectionResult {
  readonly model: CatalogModel;
  readonly selected: ProfileEvaluation;
  readonly evaluations: readonly ProfileEvaluation[];
  /** Notes for the operator, e.g. a forced profile that may not fit. */
  readonly warnings: readonly string[];
}

const DEVICE_RANK: Readonly<Record<DeviceKind, number>> = { cuda: 3, metal: 3, vulkan: 2, cpu: 0 };
const TAG_NAMES: readonly ProfileTagName[] = ['engine', 'device', 'precision', 'name'];

/** Key of a source file in `SelectionRequest.fileSizes`. */
export function fileSizeKey(repo: string, revision: string, path: string): string {
  return `${repo}/${revision}/${path}`;
}

function deviceReasons(p: ModelProfile, hw: HardwareInfo): string[] {
  const engine = p.engine === 'llamacpp' ? hw.llamacpp : hw.onnxruntime;
  if (!engine.available) return [`engine ${p.engine} is unavailable (${engine.reason ?? 'not installed'})`];
  if (p.device === 'cpu') return [];
  if (p.device === 'cuda' && hw.gpus.length === 0) return [`no NVIDIA GPU found (${hw.nvidiaSmi.reason ?? 'nvidia-smi lists none'})`];
  if (p.engine === 'onnxruntime') {
    if (p.device !== 'cuda') return [`onnxruntime has no ${p.device} execution provider in inferd`];
    return hw.onnxruntime.cuda ? [] : ['onnxruntime-node was installed without its CUDA execution provider'];
  }
  if (hw.llamacpp.gpuTypes.includes(p.device)) return [];
  if (p.device === 'metal') return ['Metal needs macOS on Apple silicon'];
  return [`node-llama-cpp has no usable ${p.device} build here (getLlamaGpuTypes: ${hw.llamacpp.gpuTypes.join(', ') || 'none'})`];
}

function availableFor(device: DeviceKind, hw: HardwareInfo): number | undefined {
  if (device === 'cpu' || device === 'metal') return hw.memory.availableBytes;
  if (device === 'cuda' && hw.gpus.length > 0) return Math.max(...hw.gpus.map((g) => g.memoryFreeBytes));
  return undefined;
}

function weightsBytes(p: ModelProfile, sizes: ReadonlyMap<string, number> | undefined): number | undefined {
  let total = 0;
  for (const f of p.source.files) {
    const size = sizes?.get(fileSizeKey(p.source.repo, p.source.revision, f.path)) ?? f.sizeBytes;
    if (size === undefined) return undefined;
    total += size;
  }
  return total;
}

/** Judges every profile of `model` against `hw`; never throws. Best first. */
export function evaluateProfiles(model: CatalogModel, hw: HardwareInfo, request: SelectionRequest = {}): ProfileEvaluation[] {
  const evaluations = model.profiles.map((raw): ProfileEvaluation => {
    const profile = identifyProfile(model.name, raw);
    const contextLimit = profile.contextLength ?? model.architecture.contextLength;
    const memory = estimateMemory(model.architecture, {
      ...request, task: model.task, precision: profile.precision, contextLimit,
      weightsBytes: weightsBytes(profile, request.fileSizes), minMemoryBytes: profile.minMemoryBytes,
    });
    const reasons = deviceReasons(profile, hw);
    if (memory.contextSize > contextLimit) reasons.push(`context ${memory.contextSize} is longer than the profile's ${contextLimit} tokens`);
    const availableBytes = availableFor(profile.device, hw);
    if (reasons.length > 0) return { profile, status: 'incompatible', reasons, memory, availableBytes };
    if (availableBytes !== undefined && memory.totalBytes > availableBytes) {
      const why = `needs ${formatBytes(memory.totalBytes)} for context ${memory.contextSize} × ${memory.maxSequences} sequences; ${formatBytes(availableBytes)} available`;
      return { profile, status: 'low-memory', reasons: [why], memory, availableBytes };
    }
    return { profile, status: 'runnable', reasons: [], memory, availableBytes };
  });
  return evaluations.sort(compareEvaluations);
}

const STATUS_RANK: Readonly<Record<ProfileStatus, number>> = { runnable: 0, 'low-memory': 1, incompatible: 2 };

function compareEvaluations(a: ProfileEvaluation, b: ProfileEvaluation): number {
  return (
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    (a.status === 'low-memory' ? a.memory.totalBytes - b.memory.totalBytes : 0) ||
    DEVICE_RANK[b.profile.device] - DEVICE_RANK[a.profile.device] ||
    bitsPerWeight(b.profile.precision) - bitsPerWeight(a.profile.precision) ||
    (a.profile.engine === b.profile.engine ? 0 : a.profile.engine === 'llamacpp' ? -1 : 1) ||
    a.profile.name.localeCompare(b.profile.name)
  );
}

/** Parses `key=value[,key=value]`; keys are engine, device, precision, name. */
export function parseTagsSelector(text: string): Map<ProfileTagName, string> {
  const tags = new Map<ProfileTagName, string>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim().toLowerCase() as ProfileTagName;
    const value = part.slice(eq + 1).trim().toLowerCase();
    if (eq < 1 || !value) throw new CatalogError('INVALID_REFERENCE', `tags selector '${part}' is not key=value`);
    if (!TAG_NAMES.includes(key)) throw new CatalogError('INVALID_REFERENCE', `tags selector key '${key}' is not one of ${TAG_NAMES.join(', ')}`);
    tags.set(key, value);
  }
  return tags;
}

function matches(p: ModelProfile, tags: ReadonlyMap<ProfileTagName, string>): boolean {
  return [...tags].every(([k, v]) => String(p[k]).toLowerCase() === v);
}

function describe(e: ProfileEvaluation): string {
  return `${e.profile.name} (${e.status}${e.reasons.length ? `: ${e.reasons.join('; ')}` : ''})`;
}

/** Picks the profile to serve, applying the overrides; throws CatalogError('NO_COMPATIBLE_PROFILE') with every reason when none can run. */
export function selectProfile(model: CatalogModel, hw: HardwareInfo, request: SelectionRequest = {}): SelectionResult {
  const evaluations = evaluateProfiles(model, hw, request);
  const fail = (message: string): never => {
    throw new CatalogError('NO_COMPATIBLE_PROFILE', message);
  };
  if (request.profile) {
    const forced = findProfile(evaluations.map((e) => e.profile), request.profile);
    const e = forced && evaluations.find((x) => x.profile.id === forced.id);
    if (!e) return fail(`model ${model.name} has no profile '${request.profile}'; profiles: ${evaluations.map((x) => x.profile.name).join(', ')}`);
    if (e.status === 'incompatible') return fail(`profile ${e.profile.name} of ${model.name} cannot run here: ${e.reasons.join('; ')}`);
    const warnings = e.status === 'low-memory' ? [`forced profile ${e.profile.name} may not fit: ${e.reasons.join('; ')}`] : [];
    return { model, selected: e, evaluations, warnings };
  }
  const tags = request.tagsSelector ? parseTagsSelector(request.tagsSelector) : undefined;
  const candidates = tags ? evaluations.filter((e) => matches(e.profile, tags)) : evaluations;
  if (tags && candidates.length === 0) return fail(`no profile of ${model.name} matches tags '${request.tagsSelector}'`);
  const best = candidates.find((e) => e.status === 'runnable');
  if (!best) {
    const scope = tags ? `matching '${request.tagsSelector}' ` : '';
    return fail(`no profile of ${model.name} ${scope}can run here: ${candidates.map(describe).join('; ')}`);
  }
  return { model, selected: best, evaluations, warnings: [] };
}
