/**
 * kafkajs's log, bridged to ours. kafkajs narrates every retry it makes at ERROR, with stacks
 * ("Connection error: connect ECONNREFUSED …", "Crash: …", "Restarting the consumer…"), though
 * it recovers from them itself: those go to debug, stacks included. The connector says what
 * matters once, in its own words (a broker lost, back again, a consumer restarted). Kept at
 * warn, without a stack: what kafkajs does about data that no later error reports.
 */
import type { Logger } from "@fgconnect/core";
import type { LogEntry, logCreator } from "kafkajs";

/** kafkajs entries a user must see: records skipped or assigned and not consumed. */
const SHOWN = [
  /^Offset out of range/,
  /^Consumer group received unsubscribed topics/,
  /^Failed to execute listener/,
];

/** Why a broker could not be reached, when the entry says a connection failed. */
export function connectionFailure(entry: LogEntry): string | undefined {
  const { message, broker } = entry.log as { message: string; broker?: string };
  if (entry.namespace !== "Connection") return undefined;
  if (message.startsWith("Connection error: ")) return message.slice("Connection error: ".length);
  if (message === "Connection timeout") return `connection timeout${broker ? ` to ${broker}` : ""}`;
  return undefined;
}

/**
 * A kafkajs logCreator writing to `logger`; `onConnectionFailure` hears of every failed
 * connection (the client reconnects by itself, so the entry itself stays at debug).
 */
export function kafkajsLog(
  logger: Logger,
  onConnectionFailure?: (reason: string) => void,
): logCreator {
  return () => (entry) => {
    const reason = connectionFailure(entry);
    if (reason !== undefined) onConnectionFailure?.(reason);
    const {
      message,
      stack,
      timestamp: _t,
      logger: _l,
      ...rest
    } = entry.log as {
      message: string;
      stack?: unknown;
      timestamp?: unknown;
      logger?: unknown;
    };
    if (SHOWN.some((pattern) => pattern.test(message))) {
      logger.warn({ kafka: entry.namespace, ...rest }, message);
      return;
    }
    logger.debug({ kafka: entry.namespace, ...rest, ...(stack ? { stack } : {}) }, message);
  };
}
