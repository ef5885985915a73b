import mqtt from "mqtt";
import { describe, expect, it } from "vitest";
import { acceptQos2PastReceiveMaximum } from "../src/client/receive-maximum.js";

interface Tracking {
  _incomingQoS2Ids: Set<number>;
  _releaseIncomingQoS2Publish(id: number): void;
  _trackIncomingQoS2Publish(id: number, done: () => void, pump: unknown): boolean;
}

/** A client that never connects, configured as the connector does (MQTT 5), with a window of 3. */
function client() {
  const c = mqtt.connect({
    host: "127.0.0.1",
    port: 1,
    manualConnect: true,
    protocolVersion: 5,
    properties: { receiveMaximum: 3 },
  });
  const errors: Error[] = [];
  c.on("error", (err) => errors.push(err));
  const internals = c as unknown as Tracking;
  // A stale read loop: mqtt.js reports the error without closing a socket this client never had.
  const pump = { discardParsedPackets: () => {}, isCurrent: () => false };
  const track = (id: number) => internals._trackIncomingQoS2Publish(id, () => {}, pump);
  const release = (id: number) => internals._releaseIncomingQoS2Publish(id);
  return { c, errors, track, release, ids: internals._incomingQoS2Ids };
}

describe("QoS 2 messages past the receive maximum", () => {
  it("make mqtt.js on its own drop the connection (the check this module turns off)", () => {
    const { track, errors } = client();
    expect([1, 2, 3].map(track)).toEqual([true, true, true]);
    expect(track(4)).toBe(false);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^Receive Maximum exceeded/),
    ]);
  });

  it("are taken in, each id tracked once until its PUBREL, with no error", () => {
    const { c, track, release, errors, ids } = client();
    expect(acceptQos2PastReceiveMaximum(c)).toBe(true);
    const many = Array.from({ length: 1001 }, (_, i) => i + 1);
    expect(many.every(track)).toBe(true);
    expect(track(7)).toBe(true);
    expect(errors).toEqual([]);
    expect(ids.size).toBe(1001);
    release(7);
    expect(ids.size).toBe(1000);
  });
});
