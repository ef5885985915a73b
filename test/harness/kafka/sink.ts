/**
 * A FunctionGraph function for the emulator that records every Kafka record it receives (rich
 * or native events), so tests count deliveries, duplicates and order.
 */
export interface Received {
  topic: string;
  partition?: number;
  offset?: string;
  key?: string | null;
  value: string;
  /** When the function received it (epoch ms). */
  at: number;
}

interface AnyEvent {
  records: (
    | { messages: string[]; topic_id: string }
    | { topic: string; partition: number; offset: string; key: string | null; value: string | null }
  )[];
}

export interface RecordingFunction {
  received: Received[];
  /** Each call's records, in call order. */
  calls: number;
  handler: (event: unknown) => Promise<string>;
}

/** `fail(value)` true makes the function throw for the whole invocation. */
export function recordingFunction(fail?: (value: string) => boolean): RecordingFunction {
  const fn: RecordingFunction = {
    received: [],
    calls: 0,
    handler: async (event) => {
      fn.calls++;
      const at = Date.now();
      const got: Received[] = [];
      for (const r of (event as AnyEvent).records) {
        if ("messages" in r)
          for (const m of r.messages) got.push({ topic: r.topic_id, value: m, at });
        else
          got.push({
            topic: r.topic,
            partition: r.partition,
            offset: r.offset,
            key: r.key,
            value: r.value ?? "",
            at,
          });
      }
      const bad = fail ? got.find((g) => fail(g.value)) : undefined;
      if (bad) throw new Error(`refusing ${bad.value}`);
      fn.received.push(...got);
      return "ok";
    },
  };
  return fn;
}

/** How many times each value arrived. */
export function countByValue(received: readonly Received[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of received) counts.set(r.value, (counts.get(r.value) ?? 0) + 1);
  return counts;
}
