import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderOptionsDoc } from "@fgconnect/core";
import { CommanderError } from "commander";
import { loadRegistry } from "../config/load.js";
import { registry as builtIns } from "../connectors.js";
import { packageOf } from "../docs.js";
import { EXIT_OK, EXIT_USAGE, type RegisterCommand } from "./shared.js";

interface DocsOptions {
  config?: string;
  out?: string;
}

/**
 * Each connector type's options page (the text of the packages' OPTIONS.md): every built-in,
 * plus the plugins of `-c`'s config; `types` narrows it down.
 */
async function docs(types: string[], options: DocsOptions): Promise<number> {
  const registry = options.config ? await loadRegistry(resolve(options.config)) : builtIns;
  const unknown = types.filter((t) => !registry.get(t));
  if (unknown.length > 0)
    throw new CommanderError(
      EXIT_USAGE,
      "fgconnect.docs",
      `no connector type ${unknown.map((t) => `"${t}"`).join(", ")}; known: ${registry.types.join(", ")}${options.config ? "" : " (give -c <config> for its plugins' types)"}`,
    );
  const definitions = types.length > 0 ? types.map((t) => registry.get(t)!) : registry.definitions;
  if (options.out) mkdirSync(options.out, { recursive: true });
  for (const d of definitions) {
    const text = renderOptionsDoc(d, packageOf(d.type, registry.originOf(d.type)));
    if (!options.out) {
      process.stdout.write(`${text}\n`);
      continue;
    }
    const file = join(options.out, `${d.type}.md`);
    writeFileSync(file, text);
    process.stderr.write(`wrote ${file}\n`);
  }
  return EXIT_OK;
}

export const registerDocs: RegisterCommand = (program, done) => {
  program
    .command("docs")
    .description(
      "print each connector type's options (type, default, description) and examples as Markdown",
    )
    .argument("[types...]", "connector types to document; default all")
    .option("-c, --config <file>", "include the connector types this config's plugins add")
    .option("-o, --out <dir>", "write <type>.md files into this folder instead of printing")
    .action(async (types: string[], o: DocsOptions) => {
      done(await docs(types, o));
    });
};
