/**
 * A single-consumer push channel exposed as an AsyncIterable: the batcher pushes events as steps
 * complete, the front-end pulls. Ending the iteration early (`break`, `return()`) calls the
 * cancel hook so the producer frees the sequence.
 */

/** A push channel with one consumer. Events pushed after close or failure are dropped. */
export class LlmEventChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private waiter?: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void };
  private closed = false;
  private error: unknown;
  private failed = false;

  constructor(private readonly onCancel: () => void) {}

  /** Queues an event for the consumer. */
  push(value: T): void {
    if (this.closed) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value, done: false });
    } else this.buffer.push(value);
  }

  /** Ends the stream after the buffered events. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.settleWaiter();
  }

  /** Ends the stream with `err`, thrown after the buffered events. */
  fail(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.failed = true;
    this.error = err;
    this.settleWaiter();
  }

  private settleWaiter(): void {
    if (!this.waiter || this.buffer.length > 0) return;
    const w = this.waiter;
    this.waiter = undefined;
    if (this.failed) w.reject(this.error);
    else w.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const value = this.buffer.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.failed) return Promise.reject(this.error);
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiter = { resolve, reject };
        });
      },
      return: () => {
        if (!this.closed) {
          this.closed = true;
          this.buffer.length = 0;
          this.onCancel();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
