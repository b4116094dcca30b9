/**
 * Core model-level answers → messages (metadata, config, statistics, repository index) and the
 * repository extension's request parameters → core options. Pure functions, no I/O.
 */
import { InferError, invalidArgument } from '../../core/errors.js';
import type {
  LoadOptions,
  ModelMetadata,
  ModelStatistics,
  RepositoryIndexEntry,
  ServerMetadata,
  StatDuration,
} from '../../core/inference-server.js';
import type { ModelConfig } from '../../config/model-config.js';
import type { RepositoryParameterMessage } from './messages.js';

/** Prefix of load parameters that carry a model file override. */
export const FILE_PARAMETER_PREFIX = 'file:';

/** `ServerMetadataResponse`. */
export function encodeServerMetadata(meta: ServerMetadata): object {
  return { name: meta.name, version: meta.version, extensions: [...meta.extensions] };
}

/** `ModelMetadataResponse`. */
export function encodeModelMetadata(meta: ModelMetadata): object {
  const tensor = (t: ModelMetadata['inputs'][number]) => ({ name: t.name, datatype: t.datatype, shape: t.shape });
  return {
    name: meta.name,
    versions: [...meta.versions],
    platform: meta.platform,
    inputs: meta.inputs.map(tensor),
    outputs: meta.outputs.map(tensor),
  };
}

/**
 * `ModelConfigResponse`. The core's config already uses model_config.proto's field names, enum
 * names and map shapes, so protobuf's own object conversion encodes it as it is.
 */
export function encodeModelConfig(config: ModelConfig): object {
  return { config };
}

const duration = (d: StatDuration) => ({ count: d.count, ns: d.ns });

/** `ModelStatisticsResponse`. */
export function encodeStatistics(stats: readonly ModelStatistics[]): object {
  return {
    model_stats: stats.map((s) => {
      const i = s.inference_stats;
      return {
        name: s.name,
        version: s.version,
        last_inference: s.last_inference,
        inference_count: s.inference_count,
        execution_count: s.execution_count,
        inference_stats: {
          success: duration(i.success),
          fail: duration(i.fail),
          queue: duration(i.queue),
          compute_input: duration(i.compute_input),
          compute_infer: duration(i.compute_infer),
          compute_output: duration(i.compute_output),
          cache_hit: duration(i.cache_hit),
          cache_miss: duration(i.cache_miss),
        },
        batch_stats: s.batch_stats.map((b) => ({
          batch_size: b.batch_size,
          compute_input: duration(b.compute_input),
          compute_infer: duration(b.compute_infer),
          compute_output: duration(b.compute_output),
        })),
      };
    }),
  };
}

/** `RepositoryIndexResponse`. */
export function encodeRepositoryIndex(entries: readonly RepositoryIndexEntry[]): object {
  return {
    models: entries.map((e) => ({ name: e.name, version: e.version ?? '', state: e.state ?? '', reason: e.reason ?? '' })),
  };
}

/** Refuses a named repository: inferd serves its repositories as one. */
export function checkRepositoryName(repositoryName: string): void {
  if (repositoryName !== '') {
    throw new InferError('UNSUPPORTED', "'repository_name' specification is not supported");
  }
}

/** Reads a load request's `config` (string_param) and `file:<path>` (bytes_param) parameters. */
export function decodeLoadOptions(params: Readonly<Record<string, RepositoryParameterMessage>>): LoadOptions {
  let config: string | undefined;
  let files: Map<string, Uint8Array> | undefined;
  for (const key of Object.keys(params)) {
    const p = params[key]!;
    if (key === 'config') {
      if (p.parameter_choice !== 'string_param') {
        throw invalidArgument("invalid value type for load parameter 'config', expected string_param.");
      }
      config = p.string_param ?? '';
    } else if (key.startsWith(FILE_PARAMETER_PREFIX)) {
      if (p.parameter_choice !== 'bytes_param') {
        throw invalidArgument(`invalid value type for load parameter '${key}', expected bytes_param.`);
      }
      const path = key.slice(FILE_PARAMETER_PREFIX.length);
      if (path === '') throw invalidArgument(`load parameter '${key}' names no file`);
      (files ??= new Map()).set(path, p.bytes_param ?? new Uint8Array(0));
    } else {
      throw invalidArgument(`unrecognized load parameter '${key}'.`);
    }
  }
  return { ...(config !== undefined && { config }), ...(files && { files }) };
}

/** Reads an unload request's `unload_dependents` (bool_param) parameter. */
export function decodeUnloadOptions(params: Readonly<Record<string, RepositoryParameterMessage>>): {
  unloadDependents?: boolean;
} {
  let unloadDependents: boolean | undefined;
  for (const key of Object.keys(params)) {
    const p = params[key]!;
    if (key !== 'unload_dependents') throw invalidArgument(`unrecognized unload parameter '${key}'.`);
    if (p.parameter_choice !== 'bool_param') {
      throw invalidArgument("invalid value type for unload parameter 'unload_dependents', expected bool_param.");
    }
    unloadDependents = p.bool_param === true;
  }
  return unloadDependents === undefined ? {} : { unloadDependents };
}
