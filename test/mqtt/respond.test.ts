import type { IPublishPacket } from "mqtt";
import { describe, expect, inject, it } from "vitest";
import { pipeline, publisher, uniqueName } from "./helpers.js";

const broker = inject("broker");

function nextMessage(
  client: Awaited<ReturnType<typeof publisher>>,
): Promise<{ topic: string; payload: Buffer; packet: IPublishPacket }> {
  return new Promise((resolve) =>
    client.once("message", (topic, payload, packet) => resolve({ topic, payload, packet })),
  );
}

describe("MQTT 5 request/response", () => {
  it("publishes the function's result to the response topic with the correlation data", async () => {
    const base = uniqueName("rr");
    const p = await pipeline(
      {
        url: broker.url,
        clientId: base,
        topics: [{ filter: `${base}/requests/#`, qos: 1 }],
        respond: { qos: 1 },
      },
      {
        handler: (e) => ({ doubled: (e.records[0]!.payload as { x: number }).x * 2 }),
      },
    );
    const requester = await publisher(broker.url);
    await requester.subscribeAsync(`${base}/replies/me`, { qos: 1 });
    const reply = nextMessage(requester);
    await requester.publishAsync(`${base}/requests/calc`, JSON.stringify({ x: 21 }), {
      qos: 1,
      properties: { responseTopic: `${base}/replies/me`, correlationData: Buffer.from("corr-42") },
    });
    const { topic, payload, packet } = await reply;
    expect(topic).toBe(`${base}/replies/me`);
    expect(JSON.parse(payload.toString())).toEqual({ doubled: 42 });
    expect(Buffer.from(packet.properties!.correlationData!).toString()).toBe("corr-42");
    expect(packet.properties!.contentType).toBe("application/json");
    await requester.endAsync();
    await p.stop();
    expect(p.connector.stats).toMatchObject({ received: 1, acknowledged: 1 });
  });
});

describe("dead letters to an MQTT topic", () => {
  it("republishes a message the function rejects, with the error in user properties, then acknowledges it", async () => {
    const base = uniqueName("dlq");
    const p = await pipeline(
      {
        url: broker.url,
        clientId: base,
        topics: [{ filter: `${base}/in/#`, qos: 1 }],
        deadLetter: { topic: `${base}/dead` },
      },
      {
        handler: () => {
          throw new Error("cannot handle this");
        },
        route: { delivery: { onFunctionError: "dead-letter" } },
      },
    );
    const watcher = await publisher(broker.url);
    await watcher.subscribeAsync(`${base}/dead`, { qos: 1 });
    const dead = nextMessage(watcher);
    await watcher.publishAsync(`${base}/in/x`, "poison", {
      qos: 1,
      properties: { contentType: "text/plain" },
    });
    const { payload, packet } = await dead;
    expect(payload.toString()).toBe("poison");
    expect(packet.properties!.contentType).toBe("text/plain");
    expect(packet.properties!.userProperties).toMatchObject({
      "fgconnect-reason": "function error",
      "fgconnect-topic": `${base}/in/x`,
      "fgconnect-attempts": "1",
      "fgconnect-error-code": expect.any(String),
      "fgconnect-error-message": expect.stringContaining("cannot handle this"),
    });
    await watcher.endAsync();
    await p.stop();
    expect(p.connector.stats).toMatchObject({ received: 1, acknowledged: 1, inFlight: 0 });
  });
});
