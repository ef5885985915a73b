/**
 * Backpressure for the Kafka source: the engine's pause() and pauseKey() hold the batch handler
 * (heartbeating) instead of pausing kafkajs. A paused kafkajs consumer sleeps a whole fetch wait
 * before it looks again, so each resume came late and a drained buffer sat idle. Held here, the
 * next fetched batch is pushed as soon as the engine resumes, and nothing more is fetched
 * meanwhile.
 */
import { Waiters } from "@fgconnect/core/internal";
import type { BatchControl, FetchedBatch } from "./client/types.js";
import { PartitionPauses } from "./partition-pauses.js";

export class BatchHold {
  #paused = false;
  readonly #partitions = new PartitionPauses();
  readonly #resumed = new Waiters();

  constructor(private readonly heartbeatIntervalMs: number) {}

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#resumed.wakeAll();
  }

  /**
   * One partition holds more than its share of the buffer: its batch handler is held (as for
   * pause()) while the batches of the other partitions, handled concurrently, go on; so a big
   * fetch of one partition cannot keep the others waiting.
   */
  pauseKey(key: string): void {
    this.#partitions.pause(key);
  }

  resumeKey(key: string): void {
    if (this.#partitions.resume(key)) this.#resumed.wakeAll();
  }

  /** Ends every wait now (at stop). */
  release(): void {
    this.#resumed.wakeAll();
  }

  /** Paused as a whole, or this batch's partition over its share of the buffer. */
  held(batch: FetchedBatch): boolean {
    return this.#paused || this.#partitions.has(batch.topic, batch.partition);
  }

  /**
   * Waits, heartbeating, while the batch is held. A rebalance ends the wait with the heartbeat's
   * error, a rejoin asked meanwhile with `rejoin()`'s; a stop or a stale batch ends it quietly.
   */
  async wait(
    control: BatchControl,
    batch: FetchedBatch,
    stopped: () => boolean,
    rejoin: () => Promise<never> | undefined,
  ): Promise<void> {
    while (this.held(batch) && !stopped() && control.isRunning() && !control.isStale()) {
      await this.#resumed.wait(this.heartbeatIntervalMs);
      const handedBack = rejoin();
      if (handedBack) return handedBack;
      await control.heartbeat();
    }
  }
}
