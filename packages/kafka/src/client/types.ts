/**
 * The small surface of a Kafka client that the connector needs. Only this folder knows the
 * client library (kafkajs), so it can be swapped.
 */
import type { RawMessage } from "../record.js";

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read (Kafka's committed-offset meaning). */
  offset: string;
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
  /** A request to the brokers succeeded (fetch or heartbeat): the connection is alive. */
  alive(): void;
  /** The consumer failed; `restarting` tells whether it reconnects by itself. */
  crashed(error: Error, restarting: boolean): void;
}

export interface GroupConsumer {
  /** Connects, subscribes, and starts fetching; rejects when the brokers cannot be reached. */
  start(onBatch: (batch: FetchedBatch, control: BatchControl) => Promise<void>): Promise<void>;
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
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
  listTopics(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface KafkaClient {
  consumer(settings: ConsumerSettings, events: ConsumerEvents): GroupConsumer;
  producer(): Producer;
  admin(): Admin;
}

/** The group is rebalancing (or this member was dropped from it): rejoin. */
export function isRebalanceError(error: unknown): boolean {
  const type = (error as { type?: string } | undefined)?.type;
  return (
    type === "REBALANCE_IN_PROGRESS" ||
    type === "NOT_COORDINATOR_FOR_GROUP" ||
    type === "ILLEGAL_GENERATION" ||
    type === "UNKNOWN_MEMBER_ID"
  );
}
