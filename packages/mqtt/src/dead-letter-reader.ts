/**
 * Reads a connector's MQTT dead-letter topic back for `fgconnect dlq`. A broker cannot be read
 * twice or out of order, so dead letters move from the replay session (dead-letter-session.ts)
 * into a local spool file — each acknowledged only once it is on disk — and are listed, shown
 * and replayed from there, with the file store's marks (a sidecar of replayed ids).
 */
import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import {
  createFileDeadLetterReader,
  createFileDeadLetterSink,
  type DeadLetterEntry,
  type DeadLetterReader,
  type DeadLetterReaderContext,
  parseDeadLetterEntry,
  reviveRecord,
} from "@fgconnect/core";
import type { IPublishPacket, MqttClient } from "mqtt";
import { ENTRY_PROPERTY, mqttDeadLetterSink } from "./dead-letter.js";
import { connect, replayClientId, sessionOptions } from "./dead-letter-session.js";
import type { ResolvedMqttOptions } from "./options.js";
import type { Qos } from "./payload.js";
import type { MqttRecord } from "./source.js";

/** How long the session stays quiet before everything it queued counts as taken. */
const DRAINED_AFTER_MS = 1_000;

/** The spool of connector `name`'s dead letters, under the config's directory. */
export function spoolOf(stateDir: string, name: string): string {
  return resolve(stateDir, ".fgconnect", `dead-letter-mqtt-${name}.jsonl`);
}

function text(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** The entry a dead-letter message holds: its entry property and its payload, or its payload alone. */
export function entryOfPacket(
  packet: Pick<IPublishPacket, "payload" | "properties">,
): DeadLetterEntry | undefined {
  const payload = Buffer.from(packet.payload);
  const meta = text(packet.properties?.userProperties?.[ENTRY_PROPERTY]);
  if (meta === undefined) return parseDeadLetterEntry(payload.toString("utf8"));
  const entry = parseDeadLetterEntry(meta);
  if (!entry) return undefined;
  const body = isUtf8(payload)
    ? { bodyEncoding: "utf8" as const, body: payload.toString("utf8") }
    : { bodyEncoding: "base64" as const, body: payload.toString("base64") };
  return { ...entry, record: { ...entry.record, ...body } };
}

/** An MQTT record back from its entry, for a replay through the MQTT payload formats. */
export function reviveMqttRecord(entry: DeadLetterEntry): MqttRecord {
  const plain = reviveRecord(entry);
  const a = plain.attributes;
  const payload = Buffer.isBuffer(plain.body)
    ? plain.body
    : Buffer.from(JSON.stringify(plain.body));
  const properties: NonNullable<MqttRecord["message"]["properties"]> = {};
  if (typeof a.contentType === "string") properties.contentType = a.contentType;
  if (typeof a.responseTopic === "string") properties.responseTopic = a.responseTopic;
  if (a.userProperties && typeof a.userProperties === "object")
    properties.userProperties = a.userProperties as Record<string, string | string[]>;
  return {
    ...plain,
    body: payload,
    message: {
      topic: String(a.topic ?? ""),
      payload,
      qos: (typeof a.qos === "number" ? a.qos : 1) as Qos,
      retain: a.retain === true,
      dup: false,
      ...(Object.keys(properties).length > 0 ? { properties } : {}),
    },
  };
}

/** Moves what the replay session queued into the spool; resolves once it stays quiet. */
async function drain(options: ResolvedMqttOptions, topic: string, spool: string): Promise<number> {
  const sink = createFileDeadLetterSink({ path: spool });
  let taken = 0;
  let quiet: NodeJS.Timeout | undefined;
  let settle!: () => void;
  let fail!: (error: unknown) => void;
  const drained = new Promise<void>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const rearm = () => {
    clearTimeout(quiet);
    quiet = setTimeout(settle, DRAINED_AFTER_MS);
  };
  // mqtt.js acknowledges a message once this calls back, and hands over the next one after.
  const handleMessage: MqttClient["handleMessage"] = (packet, done) => {
    rearm();
    const entry = packet.cmd === "publish" ? entryOfPacket(packet) : undefined;
    if (!entry) return done();
    sink
      .write(entry, reviveRecord(entry))
      .then(() => {
        taken += 1;
        done();
      })
      .catch((error: unknown) => {
        fail(error);
        done(error as Error);
      });
  };
  const { client } = await connect(
    sessionOptions(options, replayClientId(topic), true),
    handleMessage,
  );
  client.once("close", () => fail(new Error("the MQTT broker closed the connection")));
  try {
    await client.subscribeAsync(topic, { qos: 1 });
    rearm();
    await drained;
  } finally {
    clearTimeout(quiet);
    await client.endAsync().catch(() => {});
    await sink.close();
  }
  return taken;
}

export function mqttDeadLetterReader(
  name: string,
  options: ResolvedMqttOptions,
  context: DeadLetterReaderContext,
): DeadLetterReader | undefined {
  const target = options.deadLetter;
  if (!target) return undefined;
  const spool = spoolOf(context.stateDir, name);
  const file = createFileDeadLetterReader({ path: spool });
  let publisher: ReturnType<typeof connect> | undefined;
  const publish = async (topic: string, payload: Buffer | string, o: { qos: Qos }) => {
    publisher ??= connect(
      sessionOptions(options, `fgconnect-dlq-${randomUUID().slice(0, 8)}`, false),
    );
    const { client } = await publisher;
    await client.publishAsync(topic, payload, o);
  };
  return {
    location: `MQTT topic ${target.topic} of connector ${name} (spooled to ${spool})`,
    sink: mqttDeadLetterSink(publish, options, target),
    async *read(o) {
      const taken = await drain(options, target.topic, spool);
      if (taken > 0)
        context.logger.info(
          { topic: target.topic, taken, spool },
          "dead letters moved to the spool",
        );
      yield* file.read(o);
    },
    async close() {
      await file.close();
      const p = publisher;
      publisher = undefined;
      if (p) await (await p).client.endAsync().catch(() => {});
    },
  };
}
