/**
 * The conformance suite every backend runs (like Hono's `common.case.test.ts` for routers).
 * A backend's test file calls `runBackendSuite` with a fixture that writes an "identity-like"
 * model: input `INPUT0` FP32 dims [-1], `max_batch_size` >= 4, output `OUTPUT0` = INPUT0.
 * The suite checks only the contract in src/backends/backend.ts, never engine details.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendLogger,
  type BatchInstance,
  type LoadedModel,
  type ModelInstance,
} from '../../src/backends/backend.js';
import type { ModelConfig } from '../../src/config/model-config.js';
import type { InferenceRequest, InstanceResponse, RequestedOutput, Tensor } from '../../src/core/types.js';

/** What a backend's fixture writes into a fresh temporary directory. */
export interface BackendFixture {
  readonly config: ModelConfig;
  readonly modelDir: string;
  readonly versionDir: string;
  readonly version: number;
}

/** Options of `runBackendSuite`. */
export interface BackendSuiteOptions {
  /** Label of the describe block. */
  readonly name: string;
  /** Builds the backend under test; called once per test. */
  readonly backend: () => Backend | Promise<Backend>;
  /** Writes the identity-like model into `tmpDir` and describes it. */
  readonly fixture: (tmpDir: string) => Promise<BackendFixture>;
}

/** Longest any single backend call may take before the suite calls it a hang. */
const CALL_LIMIT_MS = 10_000;

const silentLog: BackendLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Rejects when `p` does not settle within CALL_LIMIT_MS, so a hanging backend fails instead of stalling. */
async function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${CALL_LIMIT_MS} ms`)), CALL_LIMIT_MS);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

let nextId = 0;

/** A request carrying `rows` (each row one batch entry) as INPUT0 of shape [rows.length, width]. */
function request(config: ModelConfig, rows: number[][], outputs?: RequestedOutput[]): InferenceRequest {
  const width = rows[0]?.length ?? 0;
  return {
    id: `req-${nextId++}`,
    model: { name: config.name },
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [rows.length, width], data: Float32Array.from(rows.flat()) }],
    ...(outputs ? { outputs } : {}),
    parameters: {},
    priority: 0,
    signal: new AbortController().signal,
  };
}

/** Distinct values per request so swapped or merged responses are caught. */
function rowsFor(seed: number, numRows: number, width: number): number[][] {
  return Array.from({ length: numRows }, (_, r) => Array.from({ length: width }, (_, c) => seed * 100 + r * 10 + c + 0.5));
}

function outputOf(response: InstanceResponse | undefined, name: string): Tensor {
  if (!response) throw new Error('missing response');
  if (!response.ok) throw new Error(`request failed: ${response.error.message}`);
  const t = response.outputs.find((o) => o.name === name);
  if (!t) throw new Error(`output ${name} missing; got ${response.outputs.map((o) => o.name).join(', ')}`);
  return t;
}

/** Asserts the response echoes the request's INPUT0 as OUTPUT0. */
function expectEcho(response: InstanceResponse | undefined, req: InferenceRequest): void {
  const input = req.inputs[0]!;
  const out = outputOf(response, 'OUTPUT0');
  expect(out.datatype).toBe('FP32');
  expect([...out.shape]).toEqual([...input.shape]);
  expect(Array.from(out.data as Float32Array)).toEqual(Array.from(input.data as Float32Array));
}

function asBatch(instance: ModelInstance): BatchInstance {
  expect(instance.kind).toBe('batch');
  if (instance.kind !== 'batch') throw new Error('expected a batch instance');
  return instance;
}

/** Registers the shared backend contract tests under `describe(opts.name)`. */
export function runBackendSuite(opts: BackendSuiteOptions): void {
  describe(`backend conformance: ${opts.name}`, () => {
    let root = '';
    let fixtureCount = 0;

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'inferd-backend-suite-'));
    });
    afterAll(async () => {
      if (root) await rm(root, { recursive: true, force: true });
    });

    /** Loads a fresh copy of the fixture model; the caller unloads it. */
    async function load(): Promise<{ backend: Backend; model: LoadedModel; fixture: BackendFixture }> {
      const backend = await opts.backend();
      const dir = join(root, `case-${fixtureCount++}`);
      const fixture = await opts.fixture(dir);
      const model = await bounded(
        'loadModel',
        backend.loadModel({ ...fixture, autoCompleteConfig: false, log: silentLog }),
      );
      return { backend, model, fixture };
    }

    /** Runs `body` with one batch instance, then disposes the instance and unloads the model. */
    async function withInstance(body: (instance: BatchInstance, config: ModelConfig) => Promise<void>): Promise<void> {
      const { model } = await load();
      const instance = asBatch(await bounded('createInstance', model.createInstance({ index: 0, groupName: 'g', device: 'cpu' })));
      try {
        await body(instance, model.config);
      } finally {
        await bounded('dispose', instance.dispose());
        await bounded('unload', model.unload());
      }
    }

    it('declares a name and an API version whose major matches BACKEND_API_VERSION', async () => {
      const backend = await opts.backend();
      expect(typeof backend.name).toBe('string');
      expect(backend.name.length).toBeGreaterThan(0);
      expect(backend.apiVersion.major).toBe(BACKEND_API_VERSION.major);
      expect(Number.isInteger(backend.apiVersion.minor)).toBe(true);
    });

    it('loadModel keeps the config name, inputs and outputs', async () => {
      const { model, fixture } = await load();
      try {
        expect(model.config.name).toBe(fixture.config.name);
        expect(model.config.input?.map((i) => [i.name, i.data_type])).toEqual(
          fixture.config.input?.map((i) => [i.name, i.data_type]),
        );
        expect(model.config.output?.map((o) => [o.name, o.data_type])).toEqual(
          fixture.config.output?.map((o) => [o.name, o.data_type]),
        );
        expect(model.config.max_batch_size).toBe(fixture.config.max_batch_size);
      } finally {
        await bounded('unload', model.unload());
      }
    });

    it('createInstance returns a batch instance', async () => {
      await withInstance(async (instance) => {
        expect(instance.kind).toBe('batch');
        expect(typeof instance.execute).toBe('function');
      });
    });

    it('executes a single request', async () => {
      await withInstance(async (instance, config) => {
        const req = request(config, rowsFor(1, 1, 4));
        const responses = await bounded('execute', instance.execute([req]));
        expect(responses).toHaveLength(1);
        expectEcho(responses[0], req);
      });
    });

    it('answers several requests once each, in request order, with each request own values', async () => {
      await withInstance(async (instance, config) => {
        const reqs = [1, 2, 3, 4].map((seed) => request(config, rowsFor(seed, 1, 3)));
        const responses = await bounded('execute', instance.execute(reqs));
        expect(responses).toHaveLength(reqs.length);
        reqs.forEach((req, i) => expectEcho(responses[i], req));
      });
    });

    it('handles requests of different batch sizes in one batch', async () => {
      await withInstance(async (instance, config) => {
        const reqs = [request(config, rowsFor(5, 1, 2)), request(config, rowsFor(6, 3, 2))];
        const responses = await bounded('execute', instance.execute(reqs));
        expect(responses).toHaveLength(2);
        expectEcho(responses[0], reqs[0]!);
        expectEcho(responses[1], reqs[1]!);
      });
    });

    it('returns the requested outputs when a request names a subset', async () => {
      await withInstance(async (instance, config) => {
        const req = request(config, rowsFor(7, 2, 3), [{ name: 'OUTPUT0' }]);
        const responses = await bounded('execute', instance.execute([req]));
        expect(responses).toHaveLength(1);
        expectEcho(responses[0], req);
        const names = (responses[0]?.ok ? responses[0].outputs : []).map((o) => o.name);
        const known = new Set(config.output?.map((o) => o.name));
        for (const n of names) expect(known.has(n)).toBe(true);
      });
    });

    it('a bad request fails only itself or fails the whole call, and never hangs', async () => {
      await withInstance(async (instance, config) => {
        const good1 = request(config, rowsFor(8, 1, 2));
        const good2 = request(config, rowsFor(9, 1, 2));
        const bad: InferenceRequest = {
          ...request(config, rowsFor(10, 1, 2)),
          inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 2], data: Int32Array.from([1, 2]) }],
        };
        let responses: readonly InstanceResponse[] | undefined;
        let thrown: unknown;
        try {
          responses = await bounded('execute', instance.execute([good1, bad, good2]));
        } catch (err) {
          thrown = err;
        }
        if (responses === undefined) {
          expect(thrown).toBeInstanceOf(Error);
          expect(String((thrown as Error).message)).not.toMatch(/did not settle/);
          return;
        }
        expect(responses).toHaveLength(3);
        expectEcho(responses[0], good1);
        expect(responses[1]?.ok).toBe(false);
        if (responses[1] && !responses[1].ok) expect(responses[1].error.message.length).toBeGreaterThan(0);
        expectEcho(responses[2], good2);
      });
    });

    it('keeps working after a failed request', async () => {
      await withInstance(async (instance, config) => {
        const bad: InferenceRequest = {
          ...request(config, rowsFor(11, 1, 2)),
          inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 2], data: Int32Array.from([1, 2]) }],
        };
        await bounded('execute', instance.execute([bad])).catch(() => undefined);
        const req = request(config, rowsFor(12, 1, 2));
        const responses = await bounded('execute', instance.execute([req]));
        expectEcho(responses[0], req);
      });
    });

    it('dispose and unload resolve', async () => {
      const { model } = await load();
      const instance = await bounded('createInstance', model.createInstance({ index: 0, groupName: 'g', device: 'cpu' }));
      await expect(bounded('dispose', instance.dispose())).resolves.toBeUndefined();
      await expect(bounded('unload', model.unload())).resolves.toBeUndefined();
    });

    it('runs two instances of one model concurrently', async () => {
      const { model } = await load();
      const slots = [0, 1].map((index) => ({ index, groupName: 'g', device: 'cpu' as const }));
      const instances = (await Promise.all(slots.map((s) => bounded('createInstance', model.createInstance(s))))).map(asBatch);
      try {
        const reqs = instances.map((_, i) => [request(model.config, rowsFor(20 + i, 2, 3)), request(model.config, rowsFor(30 + i, 1, 3))]);
        const all = await Promise.all(instances.map((inst, i) => bounded('execute', inst.execute(reqs[i]!))));
        all.forEach((responses, i) => {
          expect(responses).toHaveLength(2);
          expectEcho(responses[0], reqs[i]![0]!);
          expectEcho(responses[1], reqs[i]![1]!);
        });
      } finally {
        await Promise.all(instances.map((inst) => bounded('dispose', inst.dispose())));
        await bounded('unload', model.unload());
      }
    });
  });
}
