/**
 * The dead-letter store a `dlq` command reads: the daemon's file (`deadLetter`), or the
 * destination of a connector that has its own (a Kafka or MQTT topic), read by that
 * connector's package through its definition, so nothing here knows a broker's client.
 */
import { resolve } from "node:path";
import {
  createFileDeadLetterReader,
  type DeadLetterEntry,
  type DeadLetterReader,
  type FileDeadLetterReader,
  type Logger,
  reviveRecord,
  type SourceRecord,
} from "@fgconnect/core";
import { CommanderError } from "commander";
import { EXIT_USAGE } from "../commands/shared.js";
import type { Config } from "../config/schema.js";
import type { ConnectorRegistry } from "../registry.js";

export const FILE_STORE = "file";

/** The daemon's dead-letter file, relative to the working directory as the daemon reads it. */
export function openFileStore(config: Config): FileDeadLetterReader {
  const { path, fsync } = config.deadLetter;
  return createFileDeadLetterReader({ path: resolve(path), fsync });
}

/**
 * `--sink file` (the default): the daemon's dead-letter file, relative to the working
 * directory as the daemon reads it; `--sink <connector>`: that connector's own destination.
 */
export function openStore(
  config: Config,
  sink: string | undefined,
  context: { configDir: string; logger: Logger; connectorTypes: ConnectorRegistry },
): DeadLetterReader {
  if (sink === undefined || sink === FILE_STORE) return openFileStore(config);
  const connector = config.connectors[sink];
  if (!connector) {
    const own = Object.keys(config.connectors).join(", ");
    throw new CommanderError(
      EXIT_USAGE,
      "fgconnect.dlqSink",
      `--sink "${sink}": no connector of that name (connectors: ${own}); "file" is the daemon's deadLetter`,
    );
  }
  const { type, ...options } = connector as { type: string } & Record<string, unknown>;
  const reader = context.connectorTypes.get(type)?.deadLetters?.reader?.(sink, options as never, {
    stateDir: context.configDir,
    logger: context.logger,
  });
  if (!reader)
    throw new CommanderError(
      EXIT_USAGE,
      "fgconnect.dlqSink",
      `--sink "${sink}": connector "${sink}" (${type}) has no dead-letter destination of its own; its dead letters are in the daemon's deadLetter (omit --sink)`,
    );
  return reader;
}

/**
 * Revives an entry's record as its connector type's own record, for that type's formats. A type
 * that declares no `deadLetters.revive` (a plugin's, say) may keep more in its records than an
 * entry holds: its dead letters are refused, not replayed wrong, as are entries its revive
 * finds incomplete. Records of a connector no longer in the config are revived as plain records.
 */
export function reviverFor(
  config: Config,
  connectorTypes: ConnectorRegistry,
): (entry: DeadLetterEntry) => SourceRecord {
  return (entry) => {
    const connector = config.connectors[entry.record.source] as { type: string } | undefined;
    if (!connector) return reviveRecord(entry);
    const revive = connectorTypes.get(connector.type)?.deadLetters?.revive;
    if (!revive)
      throw new CommanderError(
        EXIT_USAGE,
        "fgconnect.dlqRevive",
        `dead letter ${entry.id}: connector "${entry.record.source}" (${connector.type}) cannot replay its records (a dead letter does not hold all of one); filter them out (--route, --pattern)`,
      );
    try {
      return revive(entry);
    } catch (error) {
      throw new CommanderError(
        EXIT_USAGE,
        "fgconnect.dlqRevive",
        `dead letter ${entry.id}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
}
