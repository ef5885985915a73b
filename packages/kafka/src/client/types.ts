/**
 * The small surface of a Kafka client that the connector needs. Only this folder knows the
 * client library (kafkajs), so it can be swapped.
 */
import type { Logger } from "@fgconnect/core";
import type { KafkaConnection } from "../options.js";
import type { RawMessage } from "../record.js";

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read (Kafka's committed-offset meaning). */
  offset: string;
  /** Committed with the offset (what `dlq replay` also replayed past it). */
  metadata?: string | null;
}

export interface FetchedBatch {
  topic: string;
  partition: number;
  messages: RawMessage[];
  /** Last offset the fetch covered (may be past the last message: transaction markers). */
  lastOffset: string;
}

export interface BatchControl {
  /** False once the consumer is stopping: stop pushing. */
  isRunning(): boolean;
  /** True when the partition's position moved (a seek): the rest of this batch is stale. */
  isStale(): boolean;
  /** Advances the fetch position past `offset` (not a commit). */
  resolveOffset(offset: string): void;
  /** Sends a heartbeat if one is due; rejects with a rebalance error when the group rebalances. */
  heartbeat(): Promise<void>;
}

export interface ConsumerEvents {
  /** Joined the group (again) with this assignment, topic → partitions. */
  joined(assignment: Record<string, number[]>): void;
  /** The group started rebalancing; this member is about to rejoin. */
  rebalancing(): void;
  /** A heartbeat succeeded: the group coordinator answers. */
  alive(): void;
  /** A broker could not be reached (the client keeps reconnecting); `reason` says why. */
  unreachable(reason: string): void;
  /** The consumer failed; `restarting` tells whether it reconnects by itself. */
  crashed(error: Error, restarting: boolean): void;
}

export interface GroupConsumer {
  /** Connects, subscribes, and starts fetching; rejects when the brokers cannot be reached. */
  start(onBatch: (batch: FetchedBatch, control: BatchControl) => Promise<void>): Promise<void>;
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Resolves once the group's coordinator answers again, or `cancelled()` turns true. */
  coordinatorAnswers(cancelled: () => boolean): Promise<void>;
  stop(): Promise<void>;
}

export interface ConsumerSettings {
  groupId: string;
  topics: (string | RegExp)[];
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  maxBytesPerPartition: number;
  maxBytes: number;
  maxWaitMs: number;
}

export interface ProducedMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

export interface Producer {
  /** Connects now (send connects on first use otherwise); rejects when the brokers cannot be reached. */
  connect(): Promise<void>;
  send(topic: string, messages: ProducedMessage[]): Promise<void>;
  stop(): Promise<void>;
}

export interface PartitionOffsets {
  partition: number;
  /** High watermark. */
  high: string;
  low: string;
}

export interface Admin {
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Offset of the first record at or after `timestamp` per partition (the end when none). */
  offsetsAt(topic: string, timestamp: number): Promise<{ partition: number; offset: string }[]>;
  committed(groupId: string, topics: readonly string[]): Promise<TopicPartitionOffset[]>;
  /** Moves a group with no members back to the start of `topic` (forgetting its metadata). */
  resetToEarliest(groupId: string, topic: string): Promise<void>;
  listTopics(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Makes the client for a connection; the connector's is picked by its `client` option. */
export type ClientFactory = (connection: KafkaConnection, logger: Logger) => KafkaClient;

export interface KafkaClient {
  consumer(settings: ConsumerSettings, events: ConsumerEvents): GroupConsumer;
  producer(): Producer;
  admin(): Admin;
}

/**
 * What a group error asks of this member, or undefined for other errors:
 * - `drain`: the group is rebalancing and still takes this generation's commits: finish the
 *   records in flight, commit them, then rejoin;
 * - `rejoin`: the coordinator moved, or no longer knows this member or its generation (the
 *   member expired while a broker restarted): no commit succeeds before the member rejoins, so
 *   rejoin at once and commit after.
 */
export function groupErrorAction(error: unknown): "drain" | "rejoin" | undefined {
  switch ((error as { type?: unknown } | undefined)?.type) {
    case "REBALANCE_IN_PROGRESS":
      return "drain";
    case "NOT_COORDINATOR_FOR_GROUP":
    case "ILLEGAL_GENERATION":
    case "UNKNOWN_MEMBER_ID":
      return "rejoin";
    default:
      return undefined;
  }
}

/** The coordinator moved or shut down: find it again before rejoining. */
export function coordinatorGone(error: unknown): boolean {
  return (error as { type?: unknown } | undefined)?.type === "NOT_COORDINATOR_FOR_GROUP";
}
