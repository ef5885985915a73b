import { Waiters } from "./waiters.js";

/** A source's pause, set by the engine's backpressure: the source's intake waits it out. */
export class PauseGate {
  #paused = false;
  readonly #waiters = new Waiters();

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#waiters.wakeAll();
  }

  /** Wakes every waiter without resuming (the source is stopping). */
  release(): void {
    this.#waiters.wakeAll();
  }

  /** Resolves at once when not paused; else at `resume()` or `release()`, or after `ms`. */
  wait(ms?: number): Promise<void> {
    return this.#paused ? this.#waiters.wait(ms) : Promise.resolve();
  }
}
