/**
 * This member's standing in its consumer group: the joins so far, the group error that asks it
 * to rejoin, and what it does before rejoining. A rebalance seen while handling a batch lets
 * in-flight records finish (bounded) and commits them first; membership lost rejoins at once;
 * a commit the group refuses makes the member rejoin too (see source.ts for the guarantees).
 */
import type { Logger } from "@fgconnect/core";
import { Waiters } from "@fgconnect/core/internal";
import {
  type BatchControl,
  coordinatorGone,
  type GroupConsumer,
  groupErrorAction,
  type TopicPartitionOffset,
} from "./client/types.js";
import type { ResolvedKafkaOptions } from "./options.js";
import type { Partitions } from "./partitions.js";

export interface MembershipDeps {
  name: string;
  options: ResolvedKafkaOptions;
  partitions: Partitions;
  consumer(): GroupConsumer | undefined;
  /** Commits every settled offset now. */
  flush(): Promise<void>;
  stopped(): boolean;
  /** The brokers are known to be unreachable: failures are expected, logged at debug. */
  outage(): boolean;
  logger(): Logger | undefined;
}

export class GroupMembership {
  /** The group error that asks this member to rejoin: batches are handed back until it has. */
  rejoining?: unknown;
  /** Group joins so far: a commit refused for an older generation asks for no rejoin. */
  generation = 0;
  readonly #drained = new Waiters();

  constructor(private readonly deps: MembershipDeps) {}

  joined(): void {
    this.generation++;
    this.rejoining = undefined;
  }

  /** A batch failed: a group error hands it back (draining first when asked), others throw. */
  async batchFailed(error: unknown, control: BatchControl): Promise<never> {
    const action = groupErrorAction(error);
    if (!action) throw error;
    if (!this.rejoining) {
      this.rejoining = error;
      if (action === "drain") await this.beforeRejoin();
    }
    return this.handBack(control);
  }

  /**
   * Throws the group error, which makes kafkajs rejoin. When the coordinator is gone (a broker
   * shutting down), first waits until it answers again: kafkajs would fail to find it, crash
   * and come back as a new member, which the group holds until the old member's session
   * expires. Rejoining as the same member after the broker's return takes a moment.
   */
  async handBack(control: BatchControl): Promise<never> {
    const error = this.rejoining;
    if (coordinatorGone(error))
      await this.deps
        .consumer()!
        .coordinatorAnswers(
          () => this.deps.stopped() || !control.isRunning() || this.rejoining !== error,
        );
    throw error;
  }

  /** A record settled: a drain before rejoining ends once none is in flight. */
  settled(): void {
    if (this.#drained.size > 0 && this.deps.partitions.inFlight() === 0) this.#drained.wakeAll();
  }

  /** Whether a failed commit is retried: a group error is settled by rejoining instead. */
  commitFailed(
    error: unknown,
    offsets: TopicPartitionOffset[],
    generation: number,
    failing: boolean,
  ): boolean {
    const { name } = this.deps;
    const reason = reasonOf(error);
    const stopped = this.deps.stopped();
    if (groupErrorAction(error) && !stopped) {
      // Sent for the generation before the last join: the join's own commit follows.
      if (generation !== this.generation) return false;
      // The group no longer takes this member's commits: rejoin now; the join commits.
      if (!this.rejoining)
        this.deps
          .logger()
          ?.info(
            { connector: name, reason },
            `offset commit refused by the group (${reason}): rejoining, then committing`,
          );
      this.rejoining ??= error;
      return false;
    }
    this.deps
      .logger()
      ?.[this.deps.outage() || failing || stopped ? "debug" : "warn"](
        { connector: name, reason, offsets },
        `offset commit failed (${reason}): retrying; the records stay uncommitted, never lost`,
      );
    return true;
  }

  /** The group rebalances: let in-flight records finish (bounded), commit, then rejoin. */
  private async beforeRejoin(): Promise<void> {
    const { options } = this.deps;
    const limit = Math.min(options.revokeDrainMs, options.sessionTimeoutMs / 2);
    const pending = this.deps.partitions.inFlight();
    this.deps
      .logger()
      ?.info(
        { connector: this.deps.name, inFlight: pending, waitMs: limit },
        "rebalance: finishing in-flight records before rejoining",
      );
    if (pending > 0 && limit > 0) await this.#drained.wait(limit);
    await this.deps.flush();
  }
}

/** The message of an error, without kafkajs's class-name prefix. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
