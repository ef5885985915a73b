/**
 * Dead letters for the admin API: list, inspect and replay, reading the same stores as
 * `fgconnect dlq` and replaying through the same path, with the daemon's FunctionGraph client.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { DeadLetterEntry, Invoker, Logger, StoredDeadLetter } from "@fgconnect/core";
import type { Config } from "../config/schema.js";
import type { ConnectorRegistry } from "../registry.js";
import { compileEntryFilter, type FilterOptions } from "./filter.js";
import { type ReplaySummary, replay } from "./replay.js";
import { openFileStore, openStore, reviverFor } from "./store.js";

export interface DeadLetterQuery extends FilterOptions {
  /** `file` (default) or a connector with its own dead-letter topic. */
  sink?: string;
}

export type ListedDeadLetter = DeadLetterEntry & { replayed: boolean };

/** How much of the dead-letter file one `newest` call reads at most. */
export interface NewestBound {
  /** Entries returned at most. */
  limit: number;
  /** Bytes read at most, from the end of the file. */
  bytes: number;
}

export interface DeadLetterService {
  /** The matching dead letters, oldest first. */
  list(query: DeadLetterQuery): Promise<{ store: string; entries: ListedDeadLetter[] }>;
  /**
   * The newest matching dead letters of the daemon's file, newest first, from its last
   * `bound.bytes` bytes only (what a page can afford on each load). `partial`: the file is
   * longer than that, so older entries were not looked at.
   */
  newest(
    query: FilterOptions,
    bound: NewestBound,
  ): Promise<{ store: string; entries: ListedDeadLetter[]; partial: boolean }>;
  replay(
    query: DeadLetterQuery & { to?: string; all?: boolean },
  ): Promise<ReplaySummary & { store: string; replayed: number; skipped: number }>;
}

/** `config` is read at each request: a reload's routes and connectors are the ones replayed to. */
export function deadLetterService(
  config: () => Config,
  context: {
    configDir: string;
    logger: Logger;
    invoker: Invoker;
    connectorTypes: ConnectorRegistry;
  },
): DeadLetterService {
  async function read<T>(
    query: DeadLetterQuery,
    options: { replay: boolean; all?: boolean },
    use: (entries: StoredDeadLetter[], store: ReturnType<typeof openStore>) => Promise<T>,
  ): Promise<T> {
    const filter = compileEntryFilter(query);
    const store = openStore(config(), query.sink, context);
    try {
      const entries: StoredDeadLetter[] = [];
      for await (const stored of store.read(options))
        if (filter(stored.entry)) entries.push(stored);
      return await use(entries, store);
    } finally {
      await store.close();
    }
  }

  return {
    list: (query) =>
      read(query, { replay: false }, async (entries, store) => ({
        store: store.location,
        entries: entries.map((s) => ({ ...s.entry, replayed: s.replayed })),
      })),
    async newest(query, { limit, bytes }) {
      const filter = compileEntryFilter(query);
      const now = config();
      const store = openFileStore(now);
      try {
        const size = await stat(resolve(now.deadLetter.path)).then(
          (s) => s.size,
          () => 0,
        );
        const entries: ListedDeadLetter[] = [];
        for await (const s of store.read({ replay: false, lastBytes: bytes })) {
          if (!filter(s.entry)) continue;
          entries.push({ ...s.entry, replayed: s.replayed });
          if (entries.length > limit) entries.shift();
        }
        return { store: store.location, entries: entries.reverse(), partial: size > bytes };
      } finally {
        await store.close();
      }
    },
    replay: (query) =>
      read(query, { replay: true, all: query.all }, async (entries, store) => {
        const todo = entries.filter((s) => query.all || !s.replayed);
        const summary =
          todo.length === 0
            ? { delivered: 0, deadLettered: 0, abandoned: 0 }
            : await replay(
                config(),
                context.invoker,
                store,
                reviverFor(config(), context.connectorTypes),
                todo,
                { to: query.to, logger: context.logger, connectorTypes: context.connectorTypes },
              );
        return {
          store: store.location,
          ...summary,
          replayed: todo.length - summary.abandoned,
          skipped: entries.length - todo.length,
        };
      }),
  };
}
