/**
 * Lifecycle of one model version: which state changes are allowed, so the repository manager
 * cannot, for example, serve a version that is still unloading.
 */
import type { ModelState } from '../inference-server.js';

const ALLOWED: Readonly<Record<ModelState, readonly ModelState[]>> = {
  LOADING: ['READY', 'UNAVAILABLE'],
  READY: ['UNLOADING'],
  UNLOADING: ['UNAVAILABLE'],
  UNAVAILABLE: ['LOADING'],
};

/** Mutable state holder of a model version with a reason for the current state. */
export class VersionLifecycle {
  private current: ModelState = 'LOADING';
  private why = '';

  /** Current state. */
  get state(): ModelState {
    return this.current;
  }

  /** Reason shown in the repository index (empty when READY). */
  get reason(): string {
    return this.why;
  }

  /** Moves to `next`; throws on a transition the lifecycle forbids (a bug, not a user error). */
  transition(next: ModelState, reason = ''): void {
    if (!ALLOWED[this.current].includes(next)) {
      throw new Error(`illegal model state transition ${this.current} -> ${next}`);
    }
    this.current = next;
    this.why = reason;
  }
}
