/** What the connector asks the brokers outside the group protocol: pure functions over an admin client. */
import type { ConnectorLag } from "@fgconnect/core";
import type { Admin } from "./client/types.js";

/** Records waiting per partition of `topics`: high watermark − the group's commit (or the low watermark). */
export async function consumerLag(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<ConnectorLag> {
  const committed = new Map(
    (await admin.committed(groupId, topics)).map((c) => [
      `${c.topic}/${c.partition}`,
      Number(c.offset),
    ]),
  );
  const detail: Record<string, number> = {};
  let total = 0;
  for (const topic of topics) {
    for (const p of await admin.topicOffsets(topic)) {
      const key = `${topic}/${p.partition}`;
      const from = committed.get(key);
      const lag = Math.max(
        0,
        Number(p.high) - (from !== undefined && from >= 0 ? from : Number(p.low)),
      );
      detail[key] = lag;
      total += lag;
    }
  }
  return { total, detail };
}

/**
 * For a timestamp start: the first offset at or after `timestamp`, by "topic/partition", of the
 * partitions of the subscribed topics that the group never committed.
 */
export async function startOffsetsAt(
  admin: Admin,
  groupId: string,
  patterns: readonly (string | RegExp)[],
  timestamp: number,
): Promise<Map<string, number>> {
  const existing = await admin.listTopics();
  const topics = existing.filter((t) =>
    patterns.some((p) => (typeof p === "string" ? p === t : p.test(t))),
  );
  const committed = new Set(
    (await admin.committed(groupId, topics))
      .filter((c) => Number(c.offset) >= 0)
      .map((c) => `${c.topic}/${c.partition}`),
  );
  const offsets = new Map<string, number>();
  for (const topic of topics) {
    for (const p of await admin.offsetsAt(topic, timestamp)) {
      const key = `${topic}/${p.partition}`;
      if (!committed.has(key)) offsets.set(key, Number(p.offset));
    }
  }
  return offsets;
}

/** How long a lag answer is reused: the admin page and the metrics ask often. */
export const LAG_CACHE_MS = 2_000;

/** `query`, its answer reused for `ms` (a failed answer is not kept). */
export function reusedFor<T>(ms: number, query: () => Promise<T>): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > ms) {
      const value = query();
      cached = { at: now, value };
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    return cached.value;
  };
}
