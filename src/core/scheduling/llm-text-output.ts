/**
 * Turns a stream of token byte pieces into releasable text: UTF-8 is decoded incrementally so a
 * multibyte character split across tokens is never cut (and lone invalid bytes become U+FFFD
 * instead of failing), and text that could still turn into a stop string is held back until it
 * cannot. The output never contains a stop string.
 */

/** Result of adding one token. */
export interface TextPush {
  /** Text that can be sent now (possibly empty). */
  readonly text: string;
  /** True when a stop string matched; `text` then ends right before it and generation must stop. */
  readonly stopped: boolean;
}

/** Incremental detokenizer with stop-string detection for one sequence. */
export class LlmTextOutput {
  private readonly decoder = new TextDecoder('utf-8');
  private pending = '';
  private ended = false;

  constructor(private readonly stop: readonly string[]) {}

  /** Adds the bytes of one token. */
  push(bytes: Uint8Array): TextPush {
    if (this.ended) return { text: '', stopped: true };
    this.pending += this.decoder.decode(bytes, { stream: true });
    const hit = this.firstStop();
    if (hit >= 0) {
      const text = this.pending.slice(0, hit);
      this.pending = '';
      this.ended = true;
      return { text, stopped: true };
    }
    const keep = this.heldBack();
    const text = this.pending.slice(0, this.pending.length - keep);
    this.pending = this.pending.slice(this.pending.length - keep);
    return { text, stopped: false };
  }

  /** Ends the stream: returns held-back text plus any incomplete UTF-8 tail (as U+FFFD). */
  flush(): string {
    if (this.ended) return '';
    this.ended = true;
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    const hit = this.stop.length ? this.firstStopIn(rest) : -1;
    return hit >= 0 ? rest.slice(0, hit) : rest;
  }

  private firstStop(): number {
    return this.firstStopIn(this.pending);
  }

  private firstStopIn(text: string): number {
    let first = -1;
    for (const s of this.stop) {
      const at = text.indexOf(s);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    return first;
  }

  /** Length of the longest suffix of `pending` that is a proper prefix of some stop string. */
  private heldBack(): number {
    let keep = 0;
    for (const s of this.stop) {
      for (let len = Math.min(s.length - 1, this.pending.length); len > keep; len--) {
        if (this.pending.endsWith(s.slice(0, len))) {
          keep = len;
          break;
        }
      }
    }
    return keep;
  }
}
