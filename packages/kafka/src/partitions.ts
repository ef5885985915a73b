/**
 * The partitions this member tracks: those assigned now, and those given up whose records may
 * still be in flight (committed as they settle, and reclaimed when the partition comes back).
 */
import { PartitionCommits } from "./commits.js";

export interface Tracked {
  topic: string;
  partition: number;
  commits: PartitionCommits;
}

export class Partitions {
  /** Partitions assigned now, by "topic/partition". */
  readonly #active = new Map<string, Tracked>();
  /** Partitions given up whose records may still be in flight: committed as they settle. */
  readonly #retiring = new Set<Tracked>();

  /** Partitions assigned now. */
  get size(): number {
    return this.#active.size;
  }

  /** Joined the group with this assignment (topic → partitions): returns its "topic/partition" keys. */
  assign(assignment: Record<string, number[]>): string[] {
    const now = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment))
      for (const p of partitions) now.add(`${topic}/${p}`);
    for (const [key, tracked] of this.#active) {
      if (now.has(key)) continue;
      this.#active.delete(key);
      this.#retiring.add(tracked);
    }
    // Partitions given up (a consumer restart) and assigned again: reclaim their trackers now,
    // before a commit flush could forget them.
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) {
        const key = `${topic}/${p}`;
        if (this.#active.has(key)) continue;
        const tracked = this.#reclaim(topic, p);
        if (tracked) this.#active.set(key, tracked);
      }
    }
    // The others moved to another member: forget them once settled and committed.
    for (const tracked of this.#retiring)
      if (tracked.commits.inFlight === 0 && tracked.commits.committable() === undefined)
        this.#retiring.delete(tracked);
    return [...now];
  }

  /** The consumer failed: its partitions may move while it reconnects. */
  retireAll(): void {
    for (const tracked of this.#active.values()) this.#retiring.add(tracked);
    this.#active.clear();
  }

  /** The tracker of a fetched partition: the active one, one reclaimed, or a new one. */
  trackerFor(topic: string, partition: number): Tracked {
    const key = `${topic}/${partition}`;
    let tracked = this.#active.get(key);
    if (!tracked) {
      tracked = this.#reclaim(topic, partition) ?? {
        topic,
        partition,
        commits: new PartitionCommits(),
      };
      this.#active.set(key, tracked);
    }
    return tracked;
  }

  /** Records pushed and without an outcome, on every tracked partition. */
  inFlight(): number {
    let n = 0;
    for (const t of this.#active.values()) n += t.commits.inFlight;
    for (const t of this.#retiring) n += t.commits.inFlight;
    return n;
  }

  /** Each tracked partition's offset to commit now, where there is one. */
  committable(): { tracked: Tracked; offset: number }[] {
    const ready: { tracked: Tracked; offset: number }[] = [];
    for (const tracked of [...this.#active.values(), ...this.#retiring]) {
      const offset = tracked.commits.committable();
      if (offset !== undefined) ready.push({ tracked, offset });
    }
    return ready;
  }

  /**
   * A partition this member gave up (consumer restart after a broker outage, rebalance) came
   * back: keep its tracker, so that records it already pushed are skipped rather than delivered
   * again from the older commit kafkajs resumes at, and its commits stay contiguous.
   */
  #reclaim(topic: string, partition: number): Tracked | undefined {
    for (const tracked of this.#retiring) {
      if (tracked.topic !== topic || tracked.partition !== partition) continue;
      this.#retiring.delete(tracked);
      return tracked;
    }
    return undefined;
  }
}
