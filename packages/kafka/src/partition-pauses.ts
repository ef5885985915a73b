/**
 * Partitions paused because the engine found one of their ordering keys over its fair share of
 * the buffer (`Connector.pauseKey`). A key is a partition lane (`topic/partition`), optionally
 * narrowed to a message key (`#key`) or a poison record (`@offset`); the partition stays paused
 * while any of its keys is.
 */
export interface PartitionRef {
  topic: string;
  partition: number;
}

export class PartitionPauses {
  readonly #keys = new Map<string, Set<string>>();

  /** Pauses `key`; returns its partition when that partition was not paused before. */
  pause(key: string): PartitionRef | undefined {
    const lane = laneOf(key);
    if (!lane) return undefined;
    const keys = this.#keys.get(lane.id);
    if (keys) {
      keys.add(key);
      return undefined;
    }
    this.#keys.set(lane.id, new Set([key]));
    return lane;
  }

  /** Resumes `key`; returns its partition when none of its keys is paused any more. */
  resume(key: string): PartitionRef | undefined {
    const lane = laneOf(key);
    const keys = lane && this.#keys.get(lane.id);
    if (!lane || !keys?.delete(key) || keys.size > 0) return undefined;
    this.#keys.delete(lane.id);
    return lane;
  }

  has(topic: string, partition: number): boolean {
    return this.#keys.has(`${topic}/${partition}`);
  }
}

function laneOf(key: string): (PartitionRef & { id: string }) | undefined {
  // Kafka topic names hold no "/", "#" or "@": the first "/" ends the topic.
  const match = /^([^/]+)\/(\d+)/.exec(key);
  if (!match) return undefined;
  return { topic: match[1]!, partition: Number(match[2]), id: match[0] };
}
