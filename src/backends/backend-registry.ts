/**
 * Backend name → lazily imported implementation, so a server that never loads an LLM never pays
 * for loading llama.cpp, and Triton platform names resolve to the backend that serves them.
 */
import type { Backend } from './backend.js';
import { BACKEND_API_VERSION } from './backend.js';

type Factory = () => Promise<Backend>;

const BUILT_IN: Readonly<Record<string, Factory>> = {
  identity: async () => (await import('./identity/index.js')).identityBackend,
  onnxruntime: async () => (await import('./onnxruntime/index.js')).onnxRuntimeBackend,
  llamacpp: async () => (await import('./llamacpp/index.js')).llamaCppBackend,
};

/** Resolves backends by name, loading each implementation once. */
export class BackendRegistry {
  private readonly cache = new Map<string, Promise<Backend>>();

  constructor(private readonly factories: Readonly<Record<string, Factory>> = BUILT_IN) {}

  /** Names of the backends this registry can load. */
  names(): string[] {
    return Object.keys(this.factories);
  }

  /** The backend called `name`; throws when unknown or built against an incompatible API major. */
  get(name: string): Promise<Backend> {
    let backend = this.cache.get(name);
    if (!backend) {
      const factory = this.factories[name];
      if (!factory) return Promise.reject(new Error(`unknown backend '${name}' (available: ${this.names().join(', ')})`));
      backend = factory().then((b) => {
        if (b.apiVersion.major !== BACKEND_API_VERSION.major || b.apiVersion.minor > BACKEND_API_VERSION.minor) {
          throw new Error(
            `backend '${name}' implements API ${b.apiVersion.major}.${b.apiVersion.minor}, server supports ${BACKEND_API_VERSION.major}.${BACKEND_API_VERSION.minor}`,
          );
        }
        return b;
      });
      backend.catch(() => this.cache.delete(name));
      this.cache.set(name, backend);
    }
    return backend;
  }
}
