/**
 * OpenTelemetry spans per request, exported over OTLP/HTTP. Built only when an endpoint (or a
 * test exporter) is configured; when tracing is off nothing here is constructed and the request
 * path is untouched.
 *
 * Span tree of one HTTP infer:
 *   `POST /v2/models/{m}/infer` (SERVER, the front-end, request id, status)
 *     ├─ `infer {model}` (model, version, batch size; enqueue → settle)
 *     │    ├─ `queue`   (from the scheduler's queue timing)
 *     │    └─ `compute` (from the scheduler's compute timing, with the executed batch size)
 *     └─ `response` (settle → last byte written)
 * The HTTP span reaches the scheduler through AsyncLocalStorage; requests from other front-ends
 * (gRPC) get an `infer` root span instead.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { context as otelContext, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { VersionInstrument } from '../metrics/instrument-versions.js';
import { addStatisticsObserver } from '../metrics/instrument-versions.js';
import type { Scheduler } from '../scheduling/scheduler.js';
import type { InferenceRequest, Tensor } from '../types.js';

/** Options of the tracer. */
export interface RequestTracerOptions {
  /** OTLP/HTTP endpoint: a base URL (`/v1/traces` is appended) or the full traces URL. */
  readonly endpoint?: string;
  /** Exporter to use instead of OTLP (tests pass an InMemorySpanExporter); spans are exported one by one. */
  readonly exporter?: SpanExporter;
  readonly serviceName?: string;
  readonly serviceVersion?: string;
}

/** Span attribute names inferd sets. */
export const SPAN_ATTRIBUTES = {
  model: 'inferd.model.name',
  version: 'inferd.model.version',
  batchSize: 'inferd.batch_size',
  requestBatchSize: 'inferd.request.batch_size',
  requestId: 'inferd.request_id',
  promptTokens: 'gen_ai.usage.input_tokens',
  completionTokens: 'gen_ai.usage.output_tokens',
} as const;

interface HttpState {
  readonly span: Span;
  /** Epoch ms when the core settled the request; starts the `response` span. */
  settledAt?: number;
}

interface InferState {
  readonly span: Span;
  readonly batchSize?: number;
}

/** Wall-clock milliseconds with sub-millisecond precision. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves the OTLP traces URL from a flag value or `OTEL_EXPORTER_OTLP_ENDPOINT`. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

/** Tracing of one server: the HTTP hook, the scheduler instrument and the provider's lifetime. */
export class RequestTracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly current = new AsyncLocalStorage<HttpState>();
  private readonly inflight = new WeakMap<InferenceRequest, InferState>();

  constructor(opts: RequestTracerOptions) {
    const exporter = opts.exporter ?? new OTLPTraceExporter(opts.endpoint ? { url: tracesUrl(opts.endpoint) } : {});
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: opts.serviceName ?? 'inferd',
        ...(opts.serviceVersion ? { [ATTR_SERVICE_VERSION]: opts.serviceVersion } : {}),
      }),
      spanProcessors: [opts.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
    });
    this.tracer = this.provider.getTracer('inferd');
  }

  /** Raw HTTP hook: opens the front-end span and makes it current for the rest of the request. */
  readonly onHttpRequest = (req: IncomingMessage, res: ServerResponse, requestId?: string): void => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const span = this.tracer.startSpan(`${req.method ?? 'GET'} ${path}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method ?? '', 'url.path': path, ...(requestId ? { [SPAN_ATTRIBUTES.requestId]: requestId } : {}) },
    });
    const state: HttpState = { span };
    // NOTE: enterWith (not run) so body events and the handler, which Node runs in this
    // request's async resource, see the span too.
    this.current.enterWith(state);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      const at = nowMs();
      if (state.settledAt !== undefined) {
        const parent = trace.setSpan(ROOT_CONTEXT, span);
        this.tracer.startSpan('response', { startTime: state.settledAt }, parent).end(at);
      }
      const status = res.writableFinished ? res.statusCode : 499;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(at);
    };
    res.once('finish', end);
    res.once('close', end);
  };

  /** Adds token counts to the current request's front-end span (LLM front-ends). */
  recordTokens(promptTokens: number, completionTokens: number): void {
    const span = this.current.getStore()?.span;
    span?.setAttributes({ [SPAN_ATTRIBUTES.promptTokens]: promptTokens, [SPAN_ATTRIBUTES.completionTokens]: completionTokens });
  }

  /** Scheduler-factory instrument: wraps enqueue to open `infer` spans and observes queue/compute timings. */
  readonly instrument: VersionInstrument = (version, scheduler) => {
    let lastBatchSize = 0;
    addStatisticsObserver(version.stats, {
      onExecution: (batchSize) => (lastBatchSize = batchSize),
      onSuccess: (timing, _batchSize, request) => {
        const state = request && this.inflight.get(request);
        if (!state) return;
        const parent = trace.setSpan(ROOT_CONTEXT, state.span);
        const computeEnd = nowMs();
        const computeNs = timing.computeInputNs + timing.computeInferNs + timing.computeOutputNs;
        const computeStart = computeEnd - computeNs / 1e6;
        const queueStart = computeStart - timing.queueNs / 1e6;
        this.tracer.startSpan('queue', { startTime: queueStart }, parent).end(computeStart);
        this.tracer.startSpan('compute', { startTime: computeStart, attributes: { [SPAN_ATTRIBUTES.batchSize]: lastBatchSize } }, parent).end(computeEnd);
        state.span.setAttribute(SPAN_ATTRIBUTES.batchSize, lastBatchSize);
      },
      onFailure: () => undefined,
    });
    return this.wrap(version.name, version.version, scheduler);
  };

  /** Flushes pending spans and stops exporting. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }

  private wrap(name: string, version: number, inner: Scheduler): Scheduler {
    const run = async <T>(request: InferenceRequest, work: () => Promise<T>): Promise<T> => {
      const http = this.current.getStore();
      const parent = http ? trace.setSpan(ROOT_CONTEXT, http.span) : otelContext.active();
      const span = this.tracer.startSpan(
        `infer ${name}`,
        { kind: http ? SpanKind.INTERNAL : SpanKind.SERVER, attributes: { [SPAN_ATTRIBUTES.model]: name, [SPAN_ATTRIBUTES.version]: String(version) } },
        parent,
      );
      this.inflight.set(request, { span });
      try {
        return await work();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        this.inflight.delete(request);
        const at = nowMs();
        if (http) http.settledAt = at;
        span.end(at);
      }
    };
    return {
      enqueue: (request) => run<readonly Tensor[]>(request, () => inner.enqueue(request)),
      enqueueStream: (request, emit) => run<void>(request, () => inner.enqueueStream(request, emit)),
      get inflight() {
        return inner.inflight;
      },
      get queued() {
        return inner.queued;
      },
      drain: () => inner.drain(),
    };
  }
}
