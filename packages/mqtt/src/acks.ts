/**
 * Holds back the broker's acknowledgement (PUBACK for QoS 1, PUBREC for QoS 2) of each message
 * until the engine reports its outcome, without holding back the reading of other packets.
 *
 * mqtt.js acknowledges as soon as its message callback returns, and it reads the next packet
 * only after that, so a delayed callback would starve keepalive. Instead the source lets mqtt.js
 * run on at once and routes the acknowledgement it tries to send through `onAck`, which keeps
 * it until `settle`. No mqtt.js type appears here: this is plain bookkeeping, unit-tested.
 *
 * Acknowledgements go out in the order the messages arrived, as MQTT requires (3.1.1 and 5,
 * section 4.6), so one still being delivered holds back those after it. Brokers rely on it:
 * Mosquitto finds the message an acknowledgement settles by walking its in-flight list from the
 * oldest, and takes one for a packet id in use twice as the oldest's — Mosquitto 2.0 sends past
 * the receive maximum while it drains a backlog, so past 65,535 messages it hands out ids again.
 *
 * Across a reconnect: an acknowledgement belongs to the connection the message came on. With a
 * resumed session the broker sends every unacknowledged message again, in order and marked DUP,
 * before any new one (section 4.4); a redelivery joins the message held for it (not pushed
 * twice), and is acknowledged in turn once its outcome is in. A held message the broker did not
 * send again before a new one was let go. Without a resumed session the broker forgot them all.
 */
import type { RecordOutcome } from "@fgconnect/core";

/** An acknowledgement packet as mqtt.js builds it. */
export interface AckPacket {
  cmd: string;
  messageId?: number;
  reasonCode?: number;
  properties?: unknown;
}

/**
 * open: being delivered. done: outcome in, acknowledge in turn. abandoned: never acknowledge,
 * and hold back those after it (an acknowledgement under its id could settle it). gone: let go.
 */
type State = "open" | "done" | "abandoned" | "gone";

/** One QoS 1/2 message waiting for its acknowledgement. */
export interface Held {
  readonly id: number;
  readonly topic: string;
  readonly payload: Buffer;
  connection: number;
  ack?: AckPacket;
  state: State;
}

function same(m: Held, id: number, topic: string, payload: Buffer): boolean {
  return m.id === id && m.topic === topic && m.payload.equals(payload);
}

export class AckGate {
  private connection = 0;
  private online = false;
  /** Unacknowledged messages in arrival order; entries before `head` are acknowledged. */
  private queue: Held[] = [];
  private head = 0;
  /** After a resumed session: where the next redelivery is looked for. */
  private resend?: number;
  /** The message mqtt.js acknowledges next, as a rule: the one that arrived last. */
  private last?: Held;

  constructor(private readonly send: (ack: AckPacket) => void) {}

  /** The broker accepted a connection (CONNACK); `sessionPresent` says it kept the session. */
  connected(sessionPresent: boolean): void {
    this.connection += 1;
    this.online = true;
    this.last = undefined;
    if (sessionPresent) {
      this.resend = this.head;
      return;
    }
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]!.state = "gone";
    this.queue = [];
    this.head = 0;
    this.resend = undefined;
  }

  disconnected(): void {
    this.online = false;
  }

  /**
   * A QoS 1/2 PUBLISH arrived. Returns the handle to settle when it is new, or undefined when it
   * is a redelivery of a message already held.
   */
  received(id: number, topic: string, payload: Buffer, dup: boolean): Held | undefined {
    if (this.resend !== undefined) {
      if (dup) {
        for (let i = Math.max(this.resend, this.head); i < this.queue.length; i++) {
          const h = this.queue[i]!;
          if (h.connection === this.connection) break;
          if (h.state !== "gone" && same(h, id, topic, payload)) {
            h.connection = this.connection;
            h.ack = undefined;
            this.resend = i + 1;
            this.last = h;
            return undefined;
          }
        }
        // Not held: its acknowledgement went out but never arrived. Delivered again.
      } else {
        for (let i = this.head; i < this.queue.length; i++) {
          const h = this.queue[i]!;
          if (h.connection !== this.connection) h.state = "gone";
        }
        this.resend = undefined;
        if (this.online) this.flush();
      }
    }
    const h: Held = { id, topic, payload, connection: this.connection, state: "open" };
    this.queue.push(h);
    this.last = h;
    return h;
  }

  /** mqtt.js is about to send `ack`: true lets it go now, false means this gate sends it. */
  onAck(ack: AckPacket): boolean {
    if (ack.cmd !== "puback" && ack.cmd !== "pubrec") return true;
    let h = this.last;
    this.last = undefined;
    if (!h || h.id !== ack.messageId || h.ack) h = this.untried(ack.messageId);
    if (!h) return true;
    h.ack = ack;
    this.flush();
    return false;
  }

  /** The engine's outcome for a message: acknowledge it in turn, unless it was abandoned. */
  settle(h: Held, outcome: RecordOutcome): void {
    if (h.state !== "open") return;
    h.state = outcome === "abandoned" ? "abandoned" : "done";
    if (this.online) this.flush();
  }

  /** Messages received and not yet acknowledged. */
  get unacknowledged(): number {
    let n = 0;
    for (let i = this.head; i < this.queue.length; i++) {
      const s = this.queue[i]!.state;
      if (s === "open" || s === "done") n += 1;
    }
    return n;
  }

  /** The newest message under `id` that mqtt.js has not tried to acknowledge on this connection. */
  private untried(id: number | undefined): Held | undefined {
    for (let i = this.queue.length - 1; i >= this.head; i--) {
      const h = this.queue[i]!;
      if (h.id === id && !h.ack && h.connection === this.connection && h.state !== "gone") return h;
    }
    return undefined;
  }

  /** Sends the acknowledgements that are due, oldest first, up to the first that is not. */
  private flush(): void {
    const q = this.queue;
    while (this.head < q.length) {
      const h = q[this.head]!;
      if (h.state === "done" && h.ack && h.connection === this.connection) this.send(h.ack);
      else if (h.state !== "gone") break;
      h.state = "gone";
      q[this.head++] = undefined as never;
    }
    if (this.head === q.length) {
      this.queue = [];
      this.head = 0;
      if (this.resend !== undefined) this.resend = 0;
    } else if (this.head > 4096 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      if (this.resend !== undefined) this.resend = Math.max(0, this.resend - this.head);
      this.head = 0;
    }
  }
}
