import { describe, expect, it } from "vitest";
import { AckGate, type AckPacket } from "../src/acks.js";

const puback = (messageId: number): AckPacket => ({ cmd: "puback", messageId });
const p = (s: string) => Buffer.from(s);

function setup() {
  const sent: AckPacket[] = [];
  const gate = new AckGate((ack) => sent.push(ack));
  gate.connected(false);
  /** A message arriving: mqtt.js tries to acknowledge it at once, as it does. */
  const arrive = (id: number, topic: string, payload: string, dup = false) => {
    const h = gate.received(id, topic, p(payload), dup);
    expect(gate.onAck(puback(id))).toBe(false);
    return h;
  };
  return { gate, sent, arrive };
}

describe("AckGate", () => {
  it("holds an acknowledgement until the outcome, then sends it", () => {
    const { gate, sent, arrive } = setup();
    const h = arrive(1, "t", "a")!;
    expect(sent).toEqual([]);
    expect(gate.unacknowledged).toBe(1);
    gate.settle(h, "delivered");
    expect(sent).toEqual([puback(1)]);
    expect(gate.unacknowledged).toBe(0);
  });

  it("sends the acknowledgement when mqtt.js tries it after the outcome came", () => {
    const { gate, sent } = setup();
    const h = gate.received(1, "t", p("a"), false)!;
    gate.settle(h, "dead-lettered");
    expect(sent).toEqual([]);
    expect(gate.onAck(puback(1))).toBe(false);
    expect(sent).toEqual([puback(1)]);
  });

  it("acknowledges in arrival order: a later outcome waits for the earlier ones", () => {
    const { gate, sent, arrive } = setup();
    const [a, b, c] = [arrive(1, "t1", "a")!, arrive(2, "t2", "b")!, arrive(3, "t3", "c")!];
    gate.settle(c, "delivered");
    gate.settle(b, "delivered");
    expect(sent).toEqual([]);
    gate.settle(a, "delivered");
    expect(sent).toEqual([puback(1), puback(2), puback(3)]);
  });

  it("sends the acknowledgements under an id in use twice in arrival order", () => {
    const { gate, sent } = setup();
    const [ackA, ackB] = [puback(5), puback(5)];
    const a = gate.received(5, "t", p("a"), false)!;
    gate.onAck(ackA);
    const b = gate.received(5, "u", p("b"), false)!;
    expect(b).toBeDefined();
    gate.onAck(ackB);
    gate.settle(b, "delivered");
    expect(sent).toEqual([]); // Mosquitto would take it for a's
    gate.settle(a, "delivered");
    expect(sent).toHaveLength(2);
    expect(sent[0]).toBe(ackA);
    expect(sent[1]).toBe(ackB);
  });

  it("never acknowledges an abandoned message, nor any after it", () => {
    const { gate, sent, arrive } = setup();
    const a = arrive(1, "t", "a")!;
    const b = arrive(2, "t", "b")!;
    gate.settle(a, "abandoned");
    gate.settle(b, "delivered");
    expect(sent).toEqual([]);
    expect(gate.unacknowledged).toBe(1);
  });

  it("never acknowledges a message abandoned before mqtt.js tried to", () => {
    const { gate, sent } = setup();
    const h = gate.received(1, "t", p("a"), false)!;
    gate.settle(h, "abandoned");
    expect(gate.onAck(puback(1))).toBe(false);
    expect(sent).toEqual([]);
  });

  it("joins a redelivery of a message still in flight instead of pushing it twice", () => {
    const { gate, sent, arrive } = setup();
    const h = arrive(7, "t", "x")!;
    gate.disconnected();
    gate.connected(true);
    expect(arrive(7, "t", "x", true)).toBeUndefined();
    expect(sent).toEqual([]);
    gate.settle(h, "delivered");
    expect(sent).toEqual([puback(7)]);
  });

  it("acknowledges in turn the redelivery of a message handled while the connection was down", () => {
    const { gate, sent, arrive } = setup();
    const a = arrive(7, "t", "x")!;
    const b = arrive(8, "t", "y")!;
    gate.disconnected();
    gate.settle(b, "delivered");
    expect(sent).toEqual([]); // not on a dead connection
    gate.connected(true);
    expect(arrive(7, "t", "x", true)).toBeUndefined();
    expect(arrive(8, "t", "y", true)).toBeUndefined();
    expect(sent).toEqual([]); // 7 is still being delivered
    gate.settle(a, "delivered");
    expect(sent).toEqual([puback(7), puback(8)]);
  });

  it("lets go of held messages the broker did not send again before a new one", () => {
    const { gate, sent, arrive } = setup();
    const a = arrive(7, "t", "x")!;
    gate.disconnected();
    gate.connected(true);
    const b = arrive(7, "t", "other")!;
    expect(b).toBeDefined();
    gate.settle(b, "delivered");
    expect(sent).toEqual([puback(7)]);
    gate.settle(a, "delivered");
    expect(sent).toEqual([puback(7)]);
  });

  it("lets go of a held message the broker skipped when it sent the others again", () => {
    const { gate, sent, arrive } = setup();
    const a = arrive(1, "t", "a")!;
    const b = arrive(2, "t", "b")!;
    gate.disconnected();
    gate.connected(true);
    expect(arrive(2, "t", "b", true)).toBeUndefined();
    const c = arrive(3, "t", "c")!;
    gate.settle(b, "delivered");
    gate.settle(c, "delivered");
    expect(sent).toEqual([puback(2), puback(3)]);
    gate.settle(a, "delivered");
    expect(sent).toHaveLength(2);
  });

  it("matches an acknowledgement to its message by id when mqtt.js tries it late", () => {
    const { gate, sent } = setup();
    const a = gate.received(1, "t", p("a"), false)!;
    const b = gate.received(2, "t", p("b"), false)!;
    expect(gate.onAck(puback(1))).toBe(false);
    expect(gate.onAck(puback(2))).toBe(false);
    gate.settle(a, "delivered");
    gate.settle(b, "delivered");
    expect(sent).toEqual([puback(1), puback(2)]);
  });

  it("delivers again a redelivery it no longer holds (its acknowledgement was lost)", () => {
    const { gate, sent, arrive } = setup();
    const a = arrive(7, "t", "x")!;
    gate.settle(a, "delivered");
    expect(sent).toEqual([puback(7)]);
    gate.disconnected();
    gate.connected(true);
    const again = arrive(7, "t", "x", true)!;
    expect(again).toBeDefined();
    gate.settle(again, "delivered");
    expect(sent).toEqual([puback(7), puback(7)]);
  });

  it("forgets everything when the broker did not keep the session", () => {
    const { gate, sent, arrive } = setup();
    const h = arrive(3, "t", "x")!;
    gate.disconnected();
    gate.connected(false);
    gate.settle(h, "delivered");
    expect(sent).toEqual([]);
    expect(arrive(3, "t", "x")).toBeDefined();
  });

  it("passes other packets and acknowledgements of messages it does not hold", () => {
    const { gate } = setup();
    expect(gate.onAck({ cmd: "pubcomp", messageId: 1 })).toBe(true);
    expect(gate.onAck(puback(99))).toBe(true);
  });

  it("keeps arrival order through a long backlog", () => {
    const { gate, sent, arrive } = setup();
    const held = Array.from({ length: 10_000 }, (_, i) => arrive((i % 65_535) + 1, "t", `${i}`)!);
    for (let i = held.length - 1; i >= 1; i--) gate.settle(held[i]!, "delivered");
    expect(sent).toEqual([]);
    gate.settle(held[0]!, "delivered");
    expect(sent.map((a) => a.messageId)).toEqual(held.map((h) => h.id));
  });
});
