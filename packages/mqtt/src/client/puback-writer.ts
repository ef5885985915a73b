/**
 * Writes the PUBACKs released in one turn of the event loop as one buffer of 4-byte packets.
 *
 * mqtt.js writes each packet in several pieces, each with its own write request, and allocates
 * about 1 KB per acknowledgement on the way; a drain acknowledges tens of thousands a second.
 * A success with no properties is the same 4 bytes in MQTT 3.1.1 and 5 (5 lets the reason code
 * be left out when it is 0).
 */
import type { MqttClient } from "mqtt";
import type { AckPacket } from "../acks.js";

export class PubackWriter {
  private ids: number[] = [];
  private client?: MqttClient;

  push(client: MqttClient, ack: AckPacket): void {
    if (this.ids.length === 0) queueMicrotask(() => this.flush());
    this.client = client;
    this.ids.push(ack.messageId!);
  }

  /** Writes what is pending now: before any other acknowledgement, to keep their order. */
  flush(): void {
    const { ids, client } = this;
    if (ids.length === 0 || !client) return;
    this.ids = [];
    // Gone with the connection: the broker sends these messages again (marked DUP).
    if (!client.connected) return;
    const packets = Buffer.allocUnsafe(4 * ids.length);
    for (let i = 0; i < ids.length; i++) {
      packets[4 * i] = 0x40;
      packets[4 * i + 1] = 2;
      packets.writeUInt16BE(ids[i]!, 4 * i + 2);
    }
    client.stream.write(packets);
  }
}
