/**
 * `ModelStreamInfer`: a bidirectional stream of requests, each answered in-stream. Requests run
 * concurrently; responses of non-decoupled models keep request order (as Triton's do), decoupled
 * models stream 0..N responses through `inferStream()` as they come. Every response carries
 * `triton_final_response`; the empty final response of a decoupled request is sent only when the
 * client asked for it with `triton_enable_empty_final_response`, as in Triton. Failures are sent
 * as `error_message` and the stream stays open. A client cancel aborts every open request.
 * With access control the stream is authorized when it opens (a refusal ends it with that status)
 * and each request on it is admitted on its own (model allow-list, per-key limits).
 */
import type { handleBidiStreamingCall, ServerDuplexStream } from '@grpc/grpc-js';
import { InferError } from '../../core/errors.js';
import type { InferenceServer } from '../../core/inference-server.js';
import type { InferenceResult } from '../../core/types.js';
import type { GrpcAccessControl, StreamGrant } from './access-control.js';
import type { GrpcLogger } from './grpc-logger.js';
import { decodeInferRequest, encodeInferResponse, FINAL_RESPONSE_PARAMETER, type DecodedInferRequest } from './infer-codec.js';
import type { ModelInferRequestMessage, ModelStreamInferResponseMessage } from './messages.js';
import { encodeParameter } from './parameter-codec.js';
import { isClientFailure, toGrpcFailure, toServiceError } from './status.js';

type StreamCall = ServerDuplexStream<ModelInferRequestMessage, ModelStreamInferResponseMessage>;

function success(result: InferenceResult, final: boolean): ModelStreamInferResponseMessage {
  return { error_message: '', infer_response: encodeInferResponse(result, final) };
}

/** True for the flag-only response a decoupled request ends with. */
function isEmptyFinal(result: InferenceResult): boolean {
  return result.final && result.outputs.length === 0;
}

/** One open stream: its in-flight requests, the ordered-write tail and the close state. */
class StreamSession {
  private readonly controllers = new Set<AbortController>();
  private orderTail: Promise<void> = Promise.resolve();
  private inflight = 0;
  private readEnded = false;
  private closed = false;

  constructor(
    private readonly call: StreamCall,
    private readonly inference: InferenceServer,
    private readonly log: GrpcLogger,
    private readonly grant: StreamGrant | undefined,
  ) {}

  start(): void {
    this.call.on('data', (message: ModelInferRequestMessage) => this.track(this.handle(message)));
    this.call.on('end', () => {
      this.readEnded = true;
      this.maybeFinish();
    });
    this.call.on('cancelled', () => this.close());
    this.call.on('error', (err: unknown) => {
      this.log.debug({ err }, 'ModelStreamInfer stream error');
      this.close();
    });
  }

  private track(work: Promise<void>): void {
    this.inflight++;
    work
      .catch((err: unknown) => this.log.error({ err }, 'ModelStreamInfer request failed unexpectedly'))
      .finally(() => {
        this.inflight--;
        this.maybeFinish();
      });
  }

  private maybeFinish(): void {
    if (this.readEnded && this.inflight === 0 && !this.closed) {
      this.closed = true;
      this.call.end();
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    const reason = new InferError('CANCELLED', 'the client cancelled the stream');
    for (const controller of this.controllers) controller.abort(reason);
  }

  private async handle(message: ModelInferRequestMessage): Promise<void> {
    let release: () => void;
    try {
      release = this.grant ? this.grant.admit(message.model_name) : () => undefined;
    } catch (err) {
      return await this.ordered(Promise.resolve(this.failure(message, err)));
    }
    const controller = new AbortController();
    this.controllers.add(controller);
    try {
      let decoded: DecodedInferRequest;
      let decoupled: boolean;
      try {
        decoded = decodeInferRequest(message, controller.signal);
        const { name, version } = decoded.request.model;
        decoupled = this.inference.modelConfig(name, version).model_transaction_policy?.decoupled === true;
      } catch (err) {
        return await this.ordered(Promise.resolve(this.failure(message, err)));
      }
      if (decoupled) return await this.runDecoupled(message, decoded);
      const response = this.inference.infer(decoded.request).then(
        (result) => success(result, true),
        (err: unknown) => this.failure(message, err),
      );
      return await this.ordered(response);
    } finally {
      this.controllers.delete(controller);
      release();
    }
  }

  /** Writes `response` once every earlier ordered response has been written. */
  private ordered(response: Promise<ModelStreamInferResponseMessage>): Promise<void> {
    const written = this.orderTail.then(async () => this.write(await response));
    this.orderTail = written.catch(() => undefined);
    return written;
  }

  private async runDecoupled(message: ModelInferRequestMessage, decoded: DecodedInferRequest): Promise<void> {
    try {
      for await (const result of this.inference.inferStream(decoded.request)) {
        if (this.closed) break;
        if (isEmptyFinal(result) && !decoded.enableEmptyFinalResponse) continue;
        await this.write(success(result, result.final));
      }
    } catch (err) {
      await this.write(this.failure(message, err));
    }
  }

  /** An in-stream error for `message`, flagged final: the request ends with it. */
  private failure(message: ModelInferRequestMessage, err: unknown): ModelStreamInferResponseMessage {
    const { message: text } = toGrpcFailure(err);
    if (!isClientFailure(err)) {
      this.log.error({ err, rpc: 'ModelStreamInfer', model: message.model_name }, text);
    }
    return {
      error_message: text,
      infer_response: {
        id: message.id,
        model_name: message.model_name,
        model_version: message.model_version,
        parameters: { [FINAL_RESPONSE_PARAMETER]: encodeParameter(true) },
        outputs: [],
        raw_output_contents: [],
      },
    };
  }

  /** Writes one response, waiting for the transport to drain so a slow reader paces the model. */
  private async write(response: ModelStreamInferResponseMessage): Promise<void> {
    if (this.closed) return;
    if (this.call.write(response)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.call.off('drain', done);
        this.call.off('cancelled', done);
        resolve();
      };
      this.call.on('drain', done);
      this.call.on('cancelled', done);
    });
  }
}

/** Options of the stream handler. */
export interface StreamInferOptions {
  readonly inference: InferenceServer;
  readonly log: GrpcLogger;
  /** Authorizes the stream at its start and admits each request on it; absent = open. */
  readonly access?: GrpcAccessControl;
}

/** Builds the ModelStreamInfer handler; a refused stream ends at once with its status. */
export function createStreamInferHandler({
  inference,
  log,
  access,
}: StreamInferOptions): handleBidiStreamingCall<ModelInferRequestMessage, ModelStreamInferResponseMessage> {
  return (call) => {
    let grant: StreamGrant | undefined;
    try {
      grant = access?.enterStream(call);
    } catch (err) {
      call.emit('error', toServiceError(err));
      return;
    }
    new StreamSession(call, inference, log, grant).start();
  };
}
