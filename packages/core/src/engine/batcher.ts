/**
 * Groups items per key into batches of at most `maxRecords` items and `maxBytes` bytes, sent
 * when full or `maxWaitMs` after the first item arrived. With `maxWaitMs` 0 a batch closes at
 * the next timer tick, so records pushed together (a Kafka fetch) still share an invocation.
 * Batches of one key are emitted in arrival order.
 */
import type { Clock } from "./clock.js";
import type { BatchConfig } from "./schema.js";

interface Bucket<T> {
  items: T[];
  bytes: number;
  timer: unknown;
}

export class Batcher<T> {
  readonly #buckets = new Map<string | undefined, Bucket<T>>();

  constructor(
    private readonly config: Pick<BatchConfig, "maxRecords" | "maxBytes" | "maxWaitMs">,
    private readonly clock: Clock,
    private readonly emit: (key: string | undefined, items: T[]) => void,
  ) {}

  add(key: string | undefined, item: T, bytes: number): void {
    let bucket = this.#buckets.get(key);
    if (bucket && bucket.bytes + bytes > this.config.maxBytes) {
      this.#flush(key, bucket);
      bucket = undefined;
    }
    if (!bucket) {
      // A record that fills a batch on its own (batch size 1) needs no bucket.
      if (this.config.maxRecords <= 1 || bytes >= this.config.maxBytes) {
        this.emit(key, [item]);
        return;
      }
      bucket = { items: [], bytes: 0, timer: undefined };
      this.#buckets.set(key, bucket);
    }
    bucket.items.push(item);
    bucket.bytes += bytes;
    if (bucket.items.length >= this.config.maxRecords || bucket.bytes >= this.config.maxBytes) {
      this.#flush(key, bucket);
    } else if (bucket.timer === undefined) {
      const open = bucket;
      open.timer = this.clock.setTimeout(() => this.#flush(key, open), this.config.maxWaitMs);
    }
  }

  /** Emits every open batch now (at shutdown: send what we have). */
  flushAll(): void {
    for (const [key, bucket] of [...this.#buckets]) this.#flush(key, bucket);
  }

  /** Drops every open batch without emitting it (at a hard stop). */
  clear(): void {
    for (const bucket of this.#buckets.values()) this.clock.clearTimeout(bucket.timer);
    this.#buckets.clear();
  }

  #flush(key: string | undefined, bucket: Bucket<T>): void {
    if (this.#buckets.get(key) !== bucket) return;
    this.#buckets.delete(key);
    if (bucket.timer !== undefined) this.clock.clearTimeout(bucket.timer);
    this.emit(key, bucket.items);
  }
}
