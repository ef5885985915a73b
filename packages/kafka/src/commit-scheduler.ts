/**
 * When offsets are committed: at most every `commitIntervalMs` after a record settles (one
 * request for all partitions), at once when asked (a join, a rebalance, a stop), one request at
 * a time, and again after a failure the owner wants retried.
 */
import type { TopicPartitionOffset } from "./client/types.js";
import type { Partitions } from "./partitions.js";

const MIN_COMMIT_RETRY_MS = 200;

export interface CommitTarget {
  /** Sends the commit; undefined while there is no consumer to send it with. */
  commit(offsets: TopicPartitionOffset[]): Promise<void> | undefined;
  /** The group generation a commit is sent for. */
  generation(): number;
  /**
   * A commit sent for `generation` failed; `failing` tells whether the one before failed too.
   * Returns whether to retry after the interval.
   */
  failed(
    error: unknown,
    offsets: TopicPartitionOffset[],
    generation: number,
    failing: boolean,
  ): boolean;
}

export class CommitScheduler {
  #timer?: NodeJS.Timeout;
  #committing?: Promise<void>;
  #failing = false;
  #stopped = false;

  constructor(
    private readonly partitions: Partitions,
    private readonly intervalMs: number,
    private readonly target: CommitTarget,
  ) {}

  /** A record settled: commit within the interval. */
  schedule(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.intervalMs);
  }

  /** Commits now, not at the next interval. */
  now(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.flush();
  }

  /** No more scheduled commits; `flush()` still commits. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Commits every partition's contiguous progress; one commit request at a time. */
  flush(): Promise<void> {
    if (this.#committing) return this.#committing.then(() => this.flush());
    const batch = this.partitions.committable();
    if (batch.length === 0) return Promise.resolve();
    const offsets: TopicPartitionOffset[] = batch.map(({ tracked, offset }) => ({
      topic: tracked.topic,
      partition: tracked.partition,
      offset: String(offset),
    }));
    const generation = this.target.generation();
    const sent = this.target.commit(offsets);
    if (!sent) return Promise.resolve();
    this.#committing = sent
      .then(() => {
        for (const { tracked, offset } of batch) tracked.commits.markCommitted(offset);
        this.#failing = false;
      })
      .catch((error: unknown) => {
        if (!this.target.failed(error, offsets, generation, this.#failing)) return;
        this.#failing = true;
        if (!this.#stopped)
          setTimeout(() => this.schedule(), Math.max(MIN_COMMIT_RETRY_MS, this.intervalMs));
      })
      .finally(() => {
        this.#committing = undefined;
      });
    return this.#committing;
  }
}
