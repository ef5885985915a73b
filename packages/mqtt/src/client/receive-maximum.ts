/**
 * Keeps the connection when the broker sends more QoS 2 messages than the receive maximum.
 *
 * Mosquitto 2.0 puts a resumed session's whole queue in flight at once, past the receive maximum
 * the client asked for. mqtt.js drops the connection on the first QoS 2 message past it (reason
 * 0x93); the broker then sends the same messages again on the next connection, and the session
 * never drains: the acknowledgements, held until delivery, never make it out before the drop.
 * QoS 1 has no such check, so a QoS 1 backlog drains.
 *
 * The receive maximum stays what the broker is asked to keep to; the client no longer enforces
 * it. AckGate keeps every message until its outcome whatever their number, and packet ids are
 * 16-bit, so mqtt.js's own bookkeeping stays bounded by the protocol's 65,535.
 */
import type { MqttClient } from "mqtt";

/** mqtt.js's bookkeeping of inbound QoS 2 messages between PUBLISH and PUBREL. */
interface Qos2Tracking {
  _incomingQoS2Ids?: Set<number>;
  _trackIncomingQoS2Publish?: (messageId: number, ...rest: unknown[]) => boolean;
}

/** Returns false when this mqtt.js has no such check (nothing to change). */
export function acceptQos2PastReceiveMaximum(client: MqttClient): boolean {
  const internals = client as unknown as Qos2Tracking;
  if (
    typeof internals._trackIncomingQoS2Publish !== "function" ||
    !(internals._incomingQoS2Ids instanceof Set)
  )
    return false;
  internals._trackIncomingQoS2Publish = (messageId) => {
    internals._incomingQoS2Ids?.add(messageId);
    return true;
  };
  return true;
}
