/**
 * Which API group a request path belongs to, using Triton's restricted-API group names, and which
 * API-key scope each group needs. Shared by the HTTP and gRPC front-ends.
 */

/** Triton's API groups (`--http-restricted-api`), plus `openai` for the OpenAI-compatible API. */
export type ApiGroup =
  | 'health'
  | 'metadata'
  | 'inference'
  | 'shared-memory'
  | 'model-config'
  | 'model-repository'
  | 'statistics'
  | 'trace'
  | 'logging'
  | 'metrics';

/** Every group name, for flag validation. */
export const API_GROUPS: readonly ApiGroup[] = [
  'health', 'metadata', 'inference', 'shared-memory', 'model-config', 'model-repository', 'statistics', 'trace', 'logging', 'metrics',
];

/** API-key scopes. */
export type Scope = 'inference' | 'admin' | 'metrics';

/** The scope a group requires; health needs none. */
export function scopeOf(group: ApiGroup): Scope | undefined {
  switch (group) {
    case 'health':
      return undefined;
    case 'model-repository':
    case 'trace':
    case 'logging':
    case 'shared-memory':
      return 'admin';
    case 'metrics':
    case 'statistics':
      return 'metrics';
    default:
      return 'inference';
  }
}

/** Groups whose endpoints change server state: off the loopback interface only with an admin key. */
export function isAdminGroup(group: ApiGroup): boolean {
  return scopeOf(group) === 'admin';
}

/** Classifies a URL path (without query string) into its API group. */
export function groupOfPath(path: string): ApiGroup {
  if (path === '/v2/health/live' || path === '/v2/health/ready' || path.startsWith('/v1/health/')) return 'health';
  if (path === '/metrics' || path === '/v1/metrics') return 'metrics';
  if (path.startsWith('/v2/repository') || path === '/api/pull') return 'model-repository';
  if (path.startsWith('/v2/logging')) return 'logging';
  if (path.startsWith('/v2/trace') || /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/trace/.test(path)) return 'trace';
  if (path.startsWith('/v2/systemsharedmemory') || path.startsWith('/v2/cudasharedmemory')) return 'shared-memory';
  if (/\/stats$/.test(path)) return 'statistics';
  if (/\/config$/.test(path)) return 'model-config';
  if (/\/(infer|generate|generate_stream)$/.test(path) || path.startsWith('/v1/')) return 'inference';
  return 'metadata';
}

/** The model a KServe path targets (`/v2/models/{m}/...`), if any. */
export function modelOfPath(path: string): string | undefined {
  const m = /^\/v2\/(?:repository\/)?models\/([^/]+)/.exec(path);
  if (!m || m[1] === 'stats') return undefined;
  try {
    return decodeURIComponent(m[1] as string);
  } catch {
    return m[1];
  }
}
