import { describe, expect, inject, it, vi } from "vitest";
import { pipeline, publisher, Received, uniqueName } from "./helpers.js";

const broker = inject("broker");

/** A function that holds every call until `release()`. */
function gate() {
  let release!: () => void;
  const open = new Promise<void>((r) => {
    release = r;
  });
  return { wait: () => open, release };
}

describe.each([
  { protocolVersion: 4 as const, qos: 1 as const },
  { protocolVersion: 4 as const, qos: 2 as const },
  { protocolVersion: 5 as const, qos: 1 as const },
  { protocolVersion: 5 as const, qos: 2 as const },
])("MQTT v$protocolVersion QoS $qos", ({ protocolVersion, qos }) => {
  it("does not acknowledge a message the engine abandoned: the broker sends it again", async () => {
    const base = uniqueName(`abandon-v${protocolVersion}-q${qos}`);
    const options = {
      url: broker.url,
      protocolVersion,
      clientId: base,
      topics: [{ filter: `${base}/#`, qos }],
    };
    const hold = gate();
    const first = await pipeline(options, { handler: () => hold.wait() });
    const pub = await publisher(broker.url, { protocolVersion });
    await pub.publishAsync(`${base}/t`, "keep me", { qos });
    await first.received.waitFor(1);
    // The function is still running when the daemon stops: the record is abandoned.
    await first.stop(100);
    hold.release();
    expect(first.connector.stats).toMatchObject({ received: 1, acknowledged: 0 });

    const second = await pipeline(options);
    await second.received.waitFor(1);
    expect(second.received.messages[0]).toMatchObject({ topic: `${base}/t`, payload: "keep me" });
    await second.stop();
    // Acknowledged this time: a third session gets nothing more.
    const third = await pipeline(options);
    await pub.publishAsync(`${base}/t`, "marker", { qos });
    await third.received.waitFor(1);
    expect(third.received.messages.map((m) => m.payload)).toEqual(["marker"]);
    await third.stop();
    await pub.endAsync();
  });
});

describe("a slow function", () => {
  it("holds back the acknowledgements of later messages: MQTT acknowledges in arrival order", async () => {
    const base = uniqueName("order");
    const options = {
      url: broker.url,
      clientId: base,
      topics: [{ filter: `${base}/#`, qos: 1 as const }],
    };
    const hold = gate();
    const first = await pipeline(options, {
      handler: (e) => (e.records[0]!.topic.endsWith("/slow") ? hold.wait() : { ok: true }),
    });
    const pub = await publisher(broker.url);
    await pub.publishAsync(`${base}/slow`, "first", { qos: 1 });
    await pub.publishAsync(`${base}/fast`, "second", { qos: 1 });
    // The later message is delivered (other topic, other lane) while the first still waits.
    await vi.waitFor(() => expect(first.connector.stats).toMatchObject({ acknowledged: 1 }), {
      timeout: 10_000,
    });
    await first.stop(100);
    hold.release();
    // The first was abandoned, so the broker never got the second's acknowledgement either.
    const second = await pipeline(options);
    await second.received.waitFor(2);
    expect(second.received.messages.map((m) => m.payload).sort()).toEqual(["first", "second"]);
    await second.stop();
    await pub.endAsync();
  });

  it("does not block reading: keepalive holds and other topics flow while one waits", async () => {
    const base = uniqueName("slow");
    const hold = gate();
    const received = new Received();
    const p = await pipeline(
      {
        url: broker.url,
        clientId: base,
        // Long enough that a stalled event loop on a loaded machine (the broker drops a client
        // after 1.5 periods without a packet) is not mistaken for a blocked keepalive.
        keepaliveSeconds: 3,
        topics: [{ filter: `${base}/#`, qos: 1 }],
      },
      {
        received,
        handler: (e) => (e.records[0]!.topic.endsWith("/slow") ? hold.wait() : { ok: true }),
      },
    );
    const pub = await publisher(broker.url);
    await pub.publishAsync(`${base}/slow`, "1", { qos: 1 });
    await received.waitFor(1);
    for (let i = 0; i < 5; i++) await pub.publishAsync(`${base}/fast`, String(i), { qos: 1 });
    await received.waitFor(6);
    await vi.waitFor(
      () => expect(p.connector.stats).toMatchObject({ received: 6, acknowledged: 5, inFlight: 1 }),
      { timeout: 10_000 },
    );
    // Three keepalive periods with the slow delivery pending: the connection must stay up.
    await new Promise((r) => setTimeout(r, 3 * 3_000 + 500));
    hold.release();
    await p.stop();
    expect(p.connector.stats).toMatchObject({ connections: 1, acknowledged: 6, inFlight: 0 });
    await pub.endAsync();
  });
});
