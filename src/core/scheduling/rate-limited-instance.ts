/**
 * Puts the rate limiter between a scheduler and its instances: each execute first acquires the
 * instance's resources and releases them when the execution settles. Schedulers need no change:
 * an instance waiting for resources simply stays busy, as in Triton.
 */
import type { ModelInstance } from '../../backends/backend.js';
import type { ModelConfig } from '../../config/model-config.js';
import type { InstanceNeeds, RateLimiter, RateLimiterSlot } from './rate-limiter.js';

/**
 * The needs of each instance, in the order model-version creates them (group by group, device by
 * device, `count` per device), from the groups' `rate_limiter` settings.
 */
export function instanceNeeds(config: ModelConfig): InstanceNeeds[] {
  const out: InstanceNeeds[] = [];
  for (const group of config.instance_group ?? []) {
    const devices = group.kind === 'KIND_GPU' ? (group.gpus ?? []).map((id) => `gpu:${id}`) : ['cpu'];
    for (const device of devices) {
      for (let i = 0; i < (group.count ?? 1); i++) {
        out.push({ device, resources: group.rate_limiter?.resources ?? [], priority: group.rate_limiter?.priority ?? 0 });
      }
    }
  }
  return out;
}

/**
 * Wraps every batch and decoupled instance of `config` so it executes only under the limiter.
 * Instances without resources still take part, so that priority orders them against the rest.
 * Iterative (LLM) instances are left alone: the continuous batcher owns them.
 */
export function rateLimitInstances(limiter: RateLimiter, config: ModelConfig, instances: readonly ModelInstance[]): ModelInstance[] {
  const needs = instanceNeeds(config);
  return instances.map((instance, i) => {
    const need = needs[i] ?? { device: 'cpu', resources: [], priority: 0 };
    return gate(instance, limiter.register(need));
  });
}

function gate(instance: ModelInstance, slot: RateLimiterSlot): ModelInstance {
  if (instance.kind === 'batch') {
    return {
      kind: 'batch',
      execute: async (batch) => {
        const release = await slot.acquire();
        try {
          return await instance.execute(batch);
        } finally {
          release();
        }
      },
      dispose: () => instance.dispose(),
    };
  }
  if (instance.kind === 'decoupled') {
    return {
      kind: 'decoupled',
      execute: async (request, emit) => {
        const release = await slot.acquire();
        try {
          await instance.execute(request, emit);
        } finally {
          release();
        }
      },
      dispose: () => instance.dispose(),
    };
  }
  return instance;
}
