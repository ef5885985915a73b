/**
 * The connector's dead-letter topic (its `deadLetter` option). MQTT 5: the original payload, the
 * error in `fgconnect-*` user properties and the entry itself without its body
 * (`fgconnect-entry`, JSON); MQTT 3.1.1 (no properties): the whole entry as JSON. `write`
 * resolves once the broker has it (QoS 1/2), so a record is acknowledged only after its dead
 * letter is safe. Before the first one, it makes sure the replay session exists
 * (dead-letter-session.ts), so the broker keeps every dead letter for `fgconnect dlq`.
 */
import type { DeadLetterEntry, DeadLetterSink, SourceRecord } from "@fgconnect/core";
import { ensureReplaySession } from "./dead-letter-session.js";
import type { ResolvedMqttOptions } from "./options.js";
import type { PublishOptions } from "./source.js";

/** The user property holding the entry without its body. */
export const ENTRY_PROPERTY = "fgconnect-entry";

/** The failure as MQTT 5 user properties (`fgconnect-*`). */
export function deadLetterProperties(entry: DeadLetterEntry): Record<string, string> {
  const props: Record<string, string> = {
    "fgconnect-id": entry.id,
    "fgconnect-reason": entry.reason,
    "fgconnect-route": entry.route,
    "fgconnect-function": entry.target,
    "fgconnect-attempts": String(entry.attempts),
    "fgconnect-record-id": entry.record.id,
    "fgconnect-dead-lettered-at": entry.deadLetteredAt,
  };
  if (entry.replayOf) props["fgconnect-replay-of"] = entry.replayOf;
  const topic = entry.record.attributes.topic;
  if (typeof topic === "string") props["fgconnect-topic"] = topic;
  if (entry.error) {
    props["fgconnect-error-code"] = entry.error.code;
    props["fgconnect-error-message"] = entry.error.message;
    if (entry.error.requestId) props["fgconnect-request-id"] = entry.error.requestId;
  }
  return props;
}

/** The record's own bytes; a record of another source (a JSON body) as its JSON text. */
function payloadOf(record: SourceRecord): Buffer {
  return Buffer.isBuffer(record.body) ? record.body : Buffer.from(JSON.stringify(record.body));
}

export type Publish = (
  topic: string,
  payload: Buffer | string,
  options: PublishOptions,
) => Promise<void>;

/**
 * A sink publishing with `publish` (the connector's connection, or the dlq reader's own) to
 * `target.topic`, for a connector of these `options`.
 */
export function mqttDeadLetterSink(
  publish: Publish,
  options: ResolvedMqttOptions,
  target: NonNullable<ResolvedMqttOptions["deadLetter"]>,
): DeadLetterSink {
  let session: Promise<void> | undefined;
  return {
    async write(entry, record) {
      session ??= ensureReplaySession(options, target.topic).catch((error: unknown) => {
        session = undefined;
        throw error;
      });
      await session;
      if (options.protocolVersion === 5) {
        const { body: _body, bodyEncoding: _encoding, ...withoutBody } = entry.record;
        const contentType = entry.record.attributes.contentType;
        await publish(target.topic, payloadOf(record), {
          qos: target.qos,
          properties: {
            userProperties: {
              ...deadLetterProperties(entry),
              [ENTRY_PROPERTY]: JSON.stringify({ ...entry, record: withoutBody }),
            },
            ...(typeof contentType === "string" ? { contentType } : {}),
          },
        });
      } else {
        await publish(target.topic, JSON.stringify(entry), { qos: target.qos });
      }
    },
  };
}
