import type { MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import { PubackWriter } from "../src/client/puback-writer.js";

function fakeClient(connected = true) {
  const written: Buffer[] = [];
  const client = { connected, stream: { write: (b: Buffer) => written.push(b) } };
  return { client: client as unknown as MqttClient, written };
}

const puback = (messageId: number) => ({ cmd: "puback", messageId });

describe("PubackWriter", () => {
  it("writes the acknowledgements of one turn as one buffer of 4-byte PUBACKs", async () => {
    const { client, written } = fakeClient();
    const w = new PubackWriter();
    w.push(client, puback(1));
    w.push(client, puback(0x1234));
    expect(written).toEqual([]);
    await Promise.resolve();
    expect(written).toEqual([Buffer.from([0x40, 2, 0, 1, 0x40, 2, 0x12, 0x34])]);
    w.push(client, puback(65_535));
    await Promise.resolve();
    expect(written[1]).toEqual(Buffer.from([0x40, 2, 0xff, 0xff]));
  });

  it("writes what is pending at once when asked, and nothing twice", async () => {
    const { client, written } = fakeClient();
    const w = new PubackWriter();
    w.push(client, puback(7));
    w.flush();
    expect(written).toEqual([Buffer.from([0x40, 2, 0, 7])]);
    await Promise.resolve();
    expect(written).toHaveLength(1);
  });

  it("writes nothing on a connection that is gone (the broker sends those messages again)", async () => {
    const { client, written } = fakeClient(false);
    const w = new PubackWriter();
    w.push(client, puback(7));
    await Promise.resolve();
    expect(written).toEqual([]);
  });
});
