import { dirname } from "node:path";
import type { StoredDeadLetter } from "@fgconnect/core";
import { type Command, Option } from "commander";
import { loadConfigWithPlugins } from "../config/load.js";
import { compileEntryFilter, type FilterOptions } from "../dlq/filter.js";
import { jsonLine, LIST_HEADER, listLine, showEntry } from "../dlq/print.js";
import { progressBar } from "../dlq/progress.js";
import { replay } from "../dlq/replay.js";
import { openStore, reviverFor } from "../dlq/store.js";
import { connectFunctionGraph } from "../functiongraph.js";
import { createLogger } from "../logger.js";
import {
  type ConfigOptions,
  configPath,
  EXIT_OK,
  EXIT_RUNTIME,
  type RegisterCommand,
  withConfigOptions,
} from "./shared.js";

type StoreOptions = ConfigOptions & FilterOptions & { sink?: string };

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** What every dlq subcommand takes: the config, the store, and the filters. */
function withStoreOptions(command: Command): Command {
  return withConfigOptions(command)
    .option(
      "--sink <name>",
      'the dead-letter store: "file" (the daemon\'s deadLetter, default) or a connector with its own deadLetter topic',
    )
    .option("--route <name>", "only dead letters of this route (repeatable)", collect)
    .option(
      "--function <fn>",
      "only dead letters for this function: URN, package:name or name (repeatable)",
      collect,
    )
    .option(
      "--reason <reason>",
      'only this reason ("retries exhausted", "function error"…) or error code (repeatable)',
      collect,
    )
    .option("--since <time>", "dead-lettered at or after: ISO 8601, or a time ago (15m, 2h, 7d)")
    .option("--until <time>", "dead-lettered before: ISO 8601, or a time ago")
    .option(
      "--pattern <json>",
      "an EventBridge-style pattern over {id, route, function, reason, attempts, error, source, attributes, body}",
    )
    .option("--id <id>", "only the dead letter with this id (repeatable)", collect);
}

/** Opens the store, reads the entries the filters take, and closes the store after `use`. */
async function withEntries<T>(
  options: StoreOptions,
  read: { replay: boolean; all?: boolean },
  use: (entries: StoredDeadLetter[], context: Awaited<ReturnType<typeof open>>) => Promise<T>,
): Promise<T> {
  const context = await open(options);
  try {
    const filter = compileEntryFilter(options);
    const entries: StoredDeadLetter[] = [];
    for await (const stored of context.reader.read(read))
      if (filter(stored.entry)) entries.push(stored);
    return await use(entries, context);
  } finally {
    await context.reader.close();
  }
}

async function open(options: StoreOptions) {
  const file = configPath(options);
  // Its plugins too: a plugin connector's dead letters are read and revived by its definition.
  const { config, registry: connectorTypes } = await loadConfigWithPlugins(file);
  const logger = createLogger({ level: "warn", pretty: process.stderr.isTTY });
  const reader = openStore(config, options.sink, {
    configDir: dirname(file),
    logger,
    connectorTypes,
  });
  return { file, config, logger, reader, connectorTypes };
}

async function list(options: StoreOptions & { json?: boolean }): Promise<number> {
  return withEntries(options, { replay: false }, async (entries) => {
    const out = entries.map(options.json ? jsonLine : listLine);
    if (!options.json && out.length > 0) out.unshift(LIST_HEADER);
    if (out.length > 0) process.stdout.write(`${out.join("\n")}\n`);
    if (!options.json) process.stderr.write(`${entries.length} dead letter(s)\n`);
    return EXIT_OK;
  });
}

async function show(id: string, options: StoreOptions): Promise<number> {
  return withEntries({ ...options, id: [id] }, { replay: false }, async (entries, { reader }) => {
    if (entries.length === 0) {
      process.stderr.write(`no dead letter with id "${id}" in ${reader.location}\n`);
      return EXIT_RUNTIME;
    }
    for (const stored of entries) process.stdout.write(showEntry(stored, reader.location));
    return EXIT_OK;
  });
}

type ReplayCommandOptions = StoreOptions & { to?: string; dryRun?: boolean; all?: boolean };

async function replayCommand(options: ReplayCommandOptions): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const read = { replay: !options.dryRun, all: options.all };
    return await withEntries(
      options,
      read,
      async (entries, { file, config, logger, reader, connectorTypes }) => {
        const todo = entries.filter((s) => options.all || !s.replayed);
        const skipped = entries.length - todo.length;
        if (options.dryRun) {
          for (const stored of todo) process.stdout.write(`${listLine(stored)}\n`);
          process.stderr.write(
            `dry run: would replay ${todo.length} dead letter(s)${options.to ? ` to ${options.to}` : ""}; ${skipped} already replayed (--all to include them)\n`,
          );
          return EXIT_OK;
        }
        if (todo.length === 0) {
          process.stderr.write(
            `nothing to replay in ${reader.location}: ${skipped} matching dead letter(s) already replayed (--all to replay them again)\n`,
          );
          return EXIT_OK;
        }
        const fg = await connectFunctionGraph(config, dirname(file), () => {});
        const bar = progressBar(todo.length);
        try {
          const summary = await replay(
            config,
            fg.client,
            reader,
            reviverFor(config, connectorTypes),
            todo,
            {
              to: options.to,
              logger,
              connectorTypes,
              signal: stop.signal,
              onDone: () => bar.tick(),
            },
          );
          bar.stop();
          process.stdout.write(
            `replayed ${todo.length - summary.abandoned} of ${todo.length}: ${summary.delivered} delivered, ${summary.deadLettered} dead-lettered again (linked by replayOf)` +
              `${summary.abandoned ? `, ${summary.abandoned} not replayed (stopped)` : ""}; ${skipped} skipped as already replayed\n`,
          );
          return summary.deadLettered + summary.abandoned > 0 ? EXIT_RUNTIME : EXIT_OK;
        } finally {
          bar.stop();
          await fg.close();
        }
      },
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export const registerDlq: RegisterCommand = (program: Command, done) => {
  const dlq = program
    .command("dlq")
    .description("list, inspect and replay dead letters (the file sink, or a connector's topic)");
  withStoreOptions(dlq.command("list").description("list dead letters, oldest first"))
    .option("--json", "one JSON object per line (the entry, and whether it was replayed)")
    .action(async (o) => done(await list(o)));
  withStoreOptions(
    dlq.command("show").description("print one dead letter in full").argument("<id>"),
  ).action(async (id: string, o) => done(await show(id, o)));
  withStoreOptions(
    dlq
      .command("replay")
      .description(
        "deliver dead letters again through their route (its retries; a fresh dead letter on failure, linked by replayOf); each is marked replayed once handled",
      ),
  )
    .addOption(
      new Option("--to <function>", "deliver to this function instead (URN or short form)"),
    )
    .option("--dry-run", "list what would be replayed; invoke nothing and mark nothing")
    .option("--all", "replay the matching dead letters that were already replayed too")
    .addOption(new Option("--again", "same as --all").hideHelp().implies({ all: true }))
    .action(async (o) => done(await replayCommand(o)));
};
