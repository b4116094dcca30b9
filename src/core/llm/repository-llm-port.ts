/**
 * The residency manager's view of a model repository: which folders are LLMs (backend
 * `llamacpp`), what each would cost in memory (GGUF header + its config's context, sequences and
 * instances), and load/unload through the RepositoryManager like the model-control API does.
 */
import path from 'node:path';
import type { ModelConfig } from '../../config/model-config.js';
import { InferError } from '../errors.js';
import { DEFAULT_MAX_SEQUENCES, estimateGgufFileMemory } from '../../catalog/index.js';
import { readModelDir } from '../repository/local-storage.js';
import { resolveModelSource, selectVersions } from '../repository/model-source.js';
import type { RepositoryManager } from '../repository/repository-manager.js';
import type { LlmResidencyPort } from './llm-residency.js';

/** The backend name of GGUF LLMs. */
const LLM_BACKEND = 'llamacpp';

function intParameter(config: ModelConfig, key: string, fallback: number): number {
  const n = Number(config.parameters?.[key]?.string_value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** A LlmResidencyPort over one RepositoryManager and its folder. */
export class RepositoryLlmPort implements LlmResidencyPort {
  constructor(
    private readonly repository: RepositoryManager,
    private readonly repositoryDir: string,
    private readonly strictModelConfig: boolean,
  ) {}

  /** Names of every LLM folder in the repository, loaded or not. */
  async knownLlms(): Promise<string[]> {
    const index = await this.repository.index(false);
    const names: string[] = [];
    for (const entry of index) if (await this.isKnownLlm(entry.name)) names.push(entry.name);
    return [...new Set(names)];
  }

  async isKnownLlm(name: string): Promise<boolean> {
    return (await this.source(name))?.backend === LLM_BACKEND;
  }

  async estimateBytes(name: string): Promise<number> {
    const source = await this.source(name);
    if (!source) throw new InferError('NOT_FOUND', `The model '${name}' does not exist`);
    const versions = selectVersions(source.config.version_policy, source.versions);
    if (versions.length === 0) throw new InferError('UNAVAILABLE', `model '${name}' has no version folder its version policy selects`);
    const version = Math.max(...versions);
    const file = path.join(source.modelDir, String(version), source.config.default_model_filename || 'model.gguf');
    const instances = (source.config.instance_group ?? []).reduce((n, g) => n + (g.count ?? 1), 0) || 1;
    const contextSize = intParameter(source.config, 'context_size', 0);
    const estimate = await estimateGgufFileMemory(file, {
      ...(contextSize > 0 ? { contextSize } : {}),
      maxSequences: intParameter(source.config, 'max_sequences', DEFAULT_MAX_SEQUENCES),
    });
    // NOTE: instances share the weights; each has its own KV cache and compute buffer.
    return estimate.weightsBytes + instances * (estimate.kvCacheBytes + estimate.computeBytes);
  }

  isLoaded(name: string): boolean {
    try {
      return this.repository.getReady(name).llm !== undefined;
    } catch {
      return false;
    }
  }

  isBusy(name: string): boolean {
    const versions = this.repository.allVersions().filter((v) => v.name === name && v.llm);
    return versions.some((v) => {
      const s = v.llm!.stats();
      return s.running + s.waiting > 0;
    });
  }

  load(name: string): Promise<void> {
    return this.repository.load(name);
  }

  unload(name: string): Promise<void> {
    return this.repository.unload(name);
  }

  private async source(name: string): Promise<{ config: ModelConfig; backend: string; versions: readonly number[]; modelDir: string } | undefined> {
    const listing = await readModelDir(this.repositoryDir, name).catch(() => undefined);
    if (!listing) return undefined;
    try {
      return await resolveModelSource(name, listing, {}, this.strictModelConfig);
    } catch {
      return undefined;
    }
  }
}
