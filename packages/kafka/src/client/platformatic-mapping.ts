/**
 * What the @platformatic/kafka adapter translates, apart from the calls: options, messages,
 * assignments and errors. Types only from the library: nothing here loads it.
 */
import type { BaseOptions, GroupAssignment, Message, MessageToProduce } from "@platformatic/kafka";
import type { KafkaConnection } from "../options.js";
import type { RawMessage } from "../record.js";
import { tlsOptions } from "./tls.js";
import type { ProducedMessage } from "./types.js";

/** The connection options every client of a connector shares. */
export function baseOptions(connection: KafkaConnection): BaseOptions {
  const tls = tlsOptions(connection.tls);
  const sasl = connection.sasl;
  return {
    clientId: connection.clientId,
    bootstrapBrokers: connection.brokers,
    connectTimeout: connection.connectionTimeoutMs,
    timeout: connection.requestTimeoutMs,
    ...(tls ? { tls, tlsServerName: tls.servername ?? true } : {}),
    ...(sasl
      ? {
          sasl: {
            mechanism: sasl.mechanism.toUpperCase() as "PLAIN",
            username: sasl.username,
            password: sasl.password,
          },
        }
      : {}),
  };
}

/** A consumed message as the connector reads it: offsets and timestamps as decimal strings. */
export function rawMessage(message: Message): RawMessage {
  const headers: Record<string, Buffer> = {};
  for (const [key, value] of message.headers) headers[key.toString()] = value;
  return {
    offset: message.offset.toString(),
    key: message.key ?? null,
    value: message.value ?? null,
    headers,
    timestamp: message.timestamp.toString(),
  };
}

export function producedMessage(topic: string, m: ProducedMessage): MessageToProduce {
  return {
    topic,
    ...(m.key ? { key: m.key } : {}),
    ...(m.value ? { value: m.value } : {}),
    // Header names go through the same (pass-through) serializer as values: Buffers both.
    headers: new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), v])),
  };
}

/** A join's assignment, topic → partitions. */
export function assignmentOf(assignments: GroupAssignment[] | null | undefined) {
  const out: Record<string, number[]> = {};
  for (const { topic, partitions } of assignments ?? []) out[topic] = [...partitions];
  return out;
}

/**
 * The Kafka error code under the library's retry wrappers (MultipleErrors, causes), as the
 * `type` the connector reads (see groupErrorAction); undefined for errors that carry none.
 */
export function kafkaErrorType(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== "object" || depth > 5) return undefined;
  const e = error as { apiId?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.apiId === "string") return e.apiId;
  // The last attempt's error says best why a retried call failed.
  if (Array.isArray(e.errors))
    for (const inner of [...e.errors].reverse()) {
      const type = kafkaErrorType(inner, depth + 1);
      if (type) return type;
    }
  return kafkaErrorType(e.cause, depth + 1);
}

/** The innermost error of the last attempt: what a retried call failed on at the end. */
function rootCause(error: unknown, depth = 0): unknown {
  if (!error || typeof error !== "object" || depth > 5) return error;
  const e = error as { errors?: unknown; cause?: unknown };
  if (Array.isArray(e.errors) && e.errors.length > 0) return rootCause(e.errors.at(-1), depth + 1);
  return e.cause ? rootCause(e.cause, depth + 1) : error;
}

/**
 * The error with its Kafka code as `type`, so the connector tells group errors apart, and the
 * reason a retried call failed in its message ("metadata failed 3 times." says nothing).
 */
export function withType(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const type = kafkaErrorType(error);
  const root = rootCause(error);
  if (root instanceof Error && root !== error && !error.message.includes(root.message))
    error.message = `${error.message.replace(/\.$/, "")}: ${root.message}`;
  return type ? Object.assign(error, { type }) : error;
}
