import { describe, expect, it } from "vitest";
import { AckGate, type AckPacket } from "../src/acks.js";

const puback = (messageId: number): AckPacket => ({ cmd: "puback", messageId });
const p = (s: string) => Buffer.from(s);

function setup() {
  const sent: AckPacket[] = [];
  const gate = new AckGate((ack) => sent.push(ack));
  gate.connected(false);
  return { gate, sent };
}

describe("AckGate", () => {
  it("holds an acknowledgement until the outcome, then sends it", () => {
    const { gate, sent } = setup();
    const h = gate.received(1, "t", p("a"))!;
    expect(gate.onAck(puback(1))).toBe(false);
    expect(gate.unacknowledged).toBe(1);
    gate.settle(h, "delivered");
    expect(sent).toEqual([puback(1)]);
    expect(gate.unacknowledged).toBe(0);
  });

  it("lets the acknowledgement through when the outcome came first", () => {
    const { gate, sent } = setup();
    const h = gate.received(1, "t", p("a"))!;
    gate.settle(h, "dead-lettered");
    expect(sent).toEqual([]);
    expect(gate.onAck(puback(1))).toBe(true);
  });

  it("never acknowledges an abandoned message, whether mqtt.js tries before or after", () => {
    const { gate, sent } = setup();
    const before = gate.received(1, "t", p("a"))!;
    expect(gate.onAck(puback(1))).toBe(false);
    gate.settle(before, "abandoned");
    const after = gate.received(2, "t", p("b"))!;
    gate.settle(after, "abandoned");
    expect(gate.onAck(puback(2))).toBe(false);
    expect(sent).toEqual([]);
  });

  it("joins a redelivery of a message still in flight instead of pushing it twice", () => {
    const { gate, sent } = setup();
    const h = gate.received(7, "t", p("x"))!;
    gate.onAck(puback(7));
    gate.disconnected();
    gate.connected(true);
    expect(gate.received(7, "t", p("x"))).toBeUndefined();
    expect(gate.onAck(puback(7))).toBe(false);
    gate.settle(h, "delivered");
    expect(sent).toEqual([puback(7)]);
  });

  it("acknowledges at once the redelivery of a message handled while the connection was down", () => {
    const { gate, sent } = setup();
    const h = gate.received(7, "t", p("x"))!;
    gate.onAck(puback(7));
    gate.disconnected();
    gate.settle(h, "delivered");
    expect(sent).toEqual([]); // not on a dead connection
    gate.connected(true);
    expect(gate.received(7, "t", p("x"))).toBeUndefined();
    expect(gate.onAck(puback(7))).toBe(true);
  });

  it("treats a different message under a reused id as new", () => {
    const { gate } = setup();
    const h = gate.received(7, "t", p("x"))!;
    gate.disconnected();
    gate.settle(h, "delivered");
    gate.connected(true);
    expect(gate.received(7, "t", p("other"))).toBeDefined();
  });

  it("forgets everything when the broker did not keep the session", () => {
    const { gate, sent } = setup();
    const h = gate.received(3, "t", p("x"))!;
    gate.onAck(puback(3));
    gate.disconnected();
    gate.connected(false);
    gate.settle(h, "delivered");
    expect(sent).toEqual([]);
    expect(gate.received(3, "t", p("x"))).toBeDefined();
  });

  it("passes other packets and unknown ids", () => {
    const { gate } = setup();
    expect(gate.onAck({ cmd: "pubcomp", messageId: 1 })).toBe(true);
    expect(gate.onAck(puback(99))).toBe(true);
  });
});
