/**
 * Holds back the broker's acknowledgement (PUBACK for QoS 1, PUBREC for QoS 2) of each message
 * until the engine reports its outcome, without holding back the reading of other packets.
 *
 * mqtt.js acknowledges as soon as its message callback returns, and it reads the next packet
 * only after that, so a delayed callback would starve keepalive. Instead the source lets mqtt.js
 * run on at once and routes the acknowledgement it tries to send through `onAck`, which keeps
 * it until `settle`. No mqtt.js type appears here: this is plain bookkeeping, unit-tested.
 *
 * Across a reconnect: an acknowledgement belongs to the connection the message came on. With a
 * resumed session the broker sends every unacknowledged message again (same packet id); a
 * redelivery of a message still in flight joins it (not pushed twice), and one whose outcome
 * came while the connection was down is acknowledged at once. Without a resumed session the
 * broker forgot them, so there is nothing left to acknowledge.
 */
import type { RecordOutcome } from "@fgconnect/core";

/** An acknowledgement packet as mqtt.js builds it. */
export interface AckPacket {
  cmd: string;
  messageId?: number;
}

/** One QoS 1/2 message waiting for its outcome. */
export interface Held {
  readonly id: number;
  readonly topic: string;
  readonly payload: Buffer;
  connection: number;
  ack?: AckPacket;
  done: boolean;
  /** Never acknowledge: abandoned, or its session is gone. */
  dropped: boolean;
}

function same(m: { topic: string; payload: Buffer }, topic: string, payload: Buffer): boolean {
  return m.topic === topic && m.payload.equals(payload);
}

export class AckGate {
  private connection = 0;
  private online = false;
  private readonly held = new Map<number, Held>();
  /** Handled while the connection was down: acknowledge when the broker sends them again. */
  private readonly handled = new Map<number, { topic: string; payload: Buffer }>();
  /** Redeliveries of handled messages: let their acknowledgement through. */
  private readonly release = new Set<number>();

  constructor(private readonly send: (ack: AckPacket) => void) {}

  /** The broker accepted a connection (CONNACK); `sessionPresent` says it kept the session. */
  connected(sessionPresent: boolean): void {
    this.connection += 1;
    this.online = true;
    this.release.clear();
    if (!sessionPresent) {
      this.handled.clear();
      for (const h of this.held.values()) h.dropped = true;
      this.held.clear();
    }
  }

  disconnected(): void {
    this.online = false;
  }

  /**
   * A QoS 1/2 PUBLISH arrived. Returns the handle to settle when it is new, or undefined when it
   * is a redelivery of a message already being delivered or already handled.
   */
  received(id: number, topic: string, payload: Buffer): Held | undefined {
    const inFlight = this.held.get(id);
    if (inFlight && same(inFlight, topic, payload)) {
      inFlight.connection = this.connection;
      inFlight.ack = undefined;
      return undefined;
    }
    if (inFlight) {
      // The broker reuses an id we still hold: it no longer waits for the old message.
      inFlight.dropped = true;
      this.held.delete(id);
    }
    const handled = this.handled.get(id);
    if (handled) {
      this.handled.delete(id);
      if (same(handled, topic, payload)) {
        this.release.add(id);
        return undefined;
      }
    }
    const h: Held = {
      id,
      topic,
      payload,
      connection: this.connection,
      done: false,
      dropped: false,
    };
    this.held.set(id, h);
    return h;
  }

  /** mqtt.js is about to send `ack`: true lets it go now, false means it is kept for later. */
  onAck(ack: AckPacket): boolean {
    const id = ack.messageId;
    if (id === undefined || (ack.cmd !== "puback" && ack.cmd !== "pubrec")) return true;
    if (this.release.delete(id)) return true;
    const h = this.held.get(id);
    if (!h) return true;
    if (h.dropped) {
      this.held.delete(id);
      return false;
    }
    if (h.done) {
      this.held.delete(id);
      return true;
    }
    h.ack = ack;
    return false;
  }

  /** The engine's outcome for a message: acknowledge it unless it was abandoned. */
  settle(h: Held, outcome: RecordOutcome): void {
    if (h.dropped) return;
    if (outcome === "abandoned") {
      h.dropped = true;
      // Kept while mqtt.js has yet to try the acknowledgement, so that onAck swallows it.
      if (h.ack && this.held.get(h.id) === h) this.held.delete(h.id);
      return;
    }
    h.done = true;
    if (this.online && h.connection === this.connection) {
      if (h.ack) {
        this.held.delete(h.id);
        this.send(h.ack);
      }
      // Else mqtt.js has not tried to acknowledge yet; onAck lets it through.
      return;
    }
    if (this.held.get(h.id) === h) this.held.delete(h.id);
    this.handled.set(h.id, { topic: h.topic, payload: h.payload });
  }

  /** Messages received and not yet acknowledged. */
  get unacknowledged(): number {
    let n = 0;
    for (const h of this.held.values()) if (!h.done && !h.dropped) n += 1;
    return n;
  }
}
