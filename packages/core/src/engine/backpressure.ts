/**
 * Accounts for records accepted and not yet handled, and says when sources must pause (a
 * limit reached) and when they may resume (both counts back under the low-water mark). Adding
 * never fails: sources may overshoot while their pause takes effect.
 */
import type { Limits } from "./schema.js";

export type Transition = "pause" | "resume" | undefined;

export class Backpressure {
  #records = 0;
  #bytes = 0;
  #paused = false;

  constructor(private readonly limits: Limits) {}

  get records(): number {
    return this.#records;
  }
  get bytes(): number {
    return this.#bytes;
  }
  get paused(): boolean {
    return this.#paused;
  }

  add(bytes: number): Transition {
    this.#records += 1;
    this.#bytes += bytes;
    const full =
      this.#records >= this.limits.maxBufferedRecords ||
      this.#bytes >= this.limits.maxBufferedBytes;
    if (full && !this.#paused) {
      this.#paused = true;
      return "pause";
    }
    return undefined;
  }

  remove(bytes: number): Transition {
    this.#records -= 1;
    this.#bytes -= bytes;
    const { maxBufferedRecords, maxBufferedBytes, resumeAt } = this.limits;
    const low =
      this.#records <= maxBufferedRecords * resumeAt && this.#bytes <= maxBufferedBytes * resumeAt;
    if (low && this.#paused) {
      this.#paused = false;
      return "resume";
    }
    return undefined;
  }
}
