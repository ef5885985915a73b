/** The group consumer's settings, from the connector's options. */
import type { ConsumerSettings } from "./client/types.js";
import { type ResolvedKafkaOptions, subscriptions } from "./options.js";

export function consumerSettings(o: ResolvedKafkaOptions): ConsumerSettings {
  return {
    groupId: o.groupId,
    topics: subscriptions(o.topics),
    fromBeginning: o.startFrom !== "latest",
    sessionTimeoutMs: o.sessionTimeoutMs,
    heartbeatIntervalMs: o.heartbeatIntervalMs,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs,
    maxBytesPerPartition: o.fetch.maxBytesPerPartition,
    maxBytes: o.fetch.maxBytes,
    maxWaitMs: o.fetch.maxWaitMs,
  };
}
