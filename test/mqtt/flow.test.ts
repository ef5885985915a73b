import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, inject, it } from "vitest";
import { payloads, pipeline, publisher, uniqueName } from "./helpers.js";

const broker = inject("broker");

describe("flow control", () => {
  it("keeps reading QoS 0 messages while the engine is paused, counts them, and delivers them all", async () => {
    const base = uniqueName("paused0");
    const p = await pipeline(
      { url: broker.url, clientId: base, topics: [{ filter: `${base}/#`, qos: 0 }] },
      {
        // A slow function and a tiny buffer: the engine pauses the source almost at once.
        handler: async () => {
          await sleep(5);
          return { ok: true };
        },
        limits: { maxBufferedRecords: 5 },
      },
    );
    const pub = await publisher(broker.url);
    const n = 60;
    for (let i = 0; i < n; i++)
      await pub.publishAsync(`${base}/t`, JSON.stringify({ i }), { qos: 0 });
    await p.received.waitFor(n);
    await pub.endAsync();
    expect(payloads(p.received)).toEqual(Array.from({ length: n }, (_, i) => ({ i })));
    expect(p.connector.stats.qos0WhilePaused).toBeGreaterThan(0);
    await p.stop();
  });
});
