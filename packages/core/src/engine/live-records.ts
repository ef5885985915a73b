/**
 * The records accepted and not yet handled — all of them, and per connector — and waiting
 * until none is left: a stop drains them all, a reconfigure drains one connector's.
 */
import type { Clock } from "./clock.js";
import type { PendingRecord } from "./pending.js";

interface Waiter {
  /** A connector's name; undefined: every record. */
  source: string | undefined;
  wake: () => void;
}

export class LiveRecords {
  readonly #all = new Set<PendingRecord>();
  readonly #perSource = new Map<string, number>();
  readonly #waiters: Waiter[] = [];

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.#all.size;
  }

  add(p: PendingRecord): void {
    this.#all.add(p);
    this.#perSource.set(p.source.source, (this.#perSource.get(p.source.source) ?? 0) + 1);
  }

  delete(p: PendingRecord): void {
    this.#all.delete(p);
    const source = p.source.source;
    const left = this.#perSource.get(source)! - 1;
    if (left > 0) {
      this.#perSource.set(source, left);
      return;
    }
    this.#perSource.delete(source);
    for (const w of [...this.#waiters]) {
      if (w.source === undefined ? this.#all.size > 0 : w.source !== source) continue;
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.wake();
    }
  }

  /** The records not yet handled (of `source`, when given). */
  list(source?: string): PendingRecord[] {
    const all = [...this.#all];
    return source === undefined ? all : all.filter((p) => p.source.source === source);
  }

  /** Resolves true once none is left (of `source`, when given), false at the deadline. */
  drained(deadlineMs: number, source?: string): Promise<boolean> {
    const none = source === undefined ? this.#all.size === 0 : !this.#perSource.has(source);
    if (none) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        source,
        wake: () => {
          this.clock.clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = this.clock.setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve(false);
      }, deadlineMs);
      this.#waiters.push(waiter);
    });
  }
}
