/**
 * How MQTT dead letters are kept for `fgconnect dlq`: a broker keeps a message only for a
 * subscriber, so the dead-letter topic has one persistent session of its own — client id
 * `replayClientId(topic)`, clean start off, a session that never expires, subscribed at QoS 1.
 * The sink makes sure it exists before its first publish; `dlq` connects as that client to
 * take what the broker queued there (see dead-letter-reader.ts).
 */
import { createHash } from "node:crypto";
import { lazyRequire } from "@fgconnect/core/internal";
import type * as MqttJs from "mqtt";
import type { IClientOptions, MqttClient } from "mqtt";
import { clientOptions } from "./client/options.js";
import type { ResolvedMqttOptions } from "./options.js";

// Loaded on first use: a daemon without an MQTT dead-letter topic never holds mqtt.js for it.
const mqttJs = lazyRequire<typeof MqttJs>("mqtt", import.meta.url);

/** MQTT 5's "never expires". */
const NEVER = 0xffffffff;

/** The replay session's client id: stable per topic, 23 characters (MQTT 3.1.1's limit). */
export function replayClientId(topic: string): string {
  return `fgconnect-dlq-${createHash("sha256").update(topic).digest("hex").slice(0, 9)}`;
}

/** Client options of a connection to the replay session (`persistent`) or a plain one. */
export function sessionOptions(
  options: ResolvedMqttOptions,
  clientId: string,
  persistent: boolean,
): IClientOptions {
  const out = clientOptions(clientId, options);
  out.clean = !persistent;
  out.reconnectPeriod = 0;
  out.resubscribe = false;
  if (options.protocolVersion === 5)
    out.properties = persistent ? { sessionExpiryInterval: NEVER } : {};
  return out;
}

/**
 * Connects; resolves with the client and whether the broker kept a session for it. A session's
 * messages may arrive with the CONNACK: `handleMessage` takes them from the first one (mqtt.js
 * acknowledges a message once it calls back; its default does at once).
 */
export async function connect(
  options: IClientOptions,
  handleMessage?: MqttClient["handleMessage"],
): Promise<{ client: MqttClient; sessionPresent: boolean }> {
  const client = mqttJs().connect(options);
  if (handleMessage) client.handleMessage = handleMessage;
  try {
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      client.once("connect", (packet) => resolve(packet));
      client.once("error", reject);
      client.once("close", () => reject(new Error("cannot connect to the MQTT broker")));
    });
    return { client, sessionPresent: connack.sessionPresent };
  } catch (error) {
    client.end(true);
    throw error;
  }
}

/**
 * Creates the replay session unless the broker has it. An existing one is left at once: what
 * the broker queued there is never acknowledged here, so it stays for `dlq`.
 */
export async function ensureReplaySession(
  options: ResolvedMqttOptions,
  topic: string,
): Promise<void> {
  // Never calls back: what the session holds is not acknowledged, so the broker keeps it.
  const { client, sessionPresent } = await connect(
    sessionOptions(options, replayClientId(topic), true),
    () => {},
  );
  try {
    if (!sessionPresent) await client.subscribeAsync(topic, { qos: 1 });
  } finally {
    await client.endAsync(true);
  }
}
