/**
 * Partitions paused because the engine found one of their ordering keys over its fair share of
 * the buffer (`Connector.pauseKey`). A key is a partition lane (`topic/partition`), optionally
 * narrowed to a message key (`#key`) or a poison record (`@offset`); the partition stays paused
 * while any of its keys is.
 */
export class PartitionPauses {
  /** Paused keys per partition lane. */
  readonly #keys = new Map<string, Set<string>>();

  pause(key: string): void {
    const lane = laneOf(key);
    if (lane === undefined) return;
    const keys = this.#keys.get(lane);
    if (keys) keys.add(key);
    else this.#keys.set(lane, new Set([key]));
  }

  /** Resumes `key`; true when its partition has no paused key left. */
  resume(key: string): boolean {
    const lane = laneOf(key);
    const keys = lane === undefined ? undefined : this.#keys.get(lane);
    if (!keys?.delete(key) || keys.size > 0) return false;
    this.#keys.delete(lane!);
    return true;
  }

  has(topic: string, partition: number): boolean {
    return this.#keys.has(`${topic}/${partition}`);
  }
}

/** Kafka topic names hold no "/", "#" or "@": the first "/" and the digits after it end the lane. */
function laneOf(key: string): string | undefined {
  return /^[^/]+\/\d+/.exec(key)?.[0];
}
