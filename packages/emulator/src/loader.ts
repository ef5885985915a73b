import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { Module } from "node:module";
import { basename, dirname, extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { FgconnectError } from "@fgconnect/core";
import type { FunctionConfig, FunctionDefinition, Handler } from "./function-config.js";

const EXTENSIONS = [".js", ".cjs", ".mjs"];
const INDEX_FILES = EXTENSIONS.map((e) => `index${e}`);
/** Per-function config inside a function's folder. */
const FOLDER_CONFIG = "fgconnect.json";

/** The functions folder cannot be read: it is missing, or not a folder. */
export class FunctionsFolderError extends FgconnectError {
  readonly code = "EMULATOR_FUNCTIONS_FOLDER";
  readonly retryable = false;
  constructor(
    readonly dir: string,
    reason: string,
  ) {
    super(
      `functions folder ${dir}: ${reason}`,
      "Create it with one subfolder (name/index.js) or file (name.js) per function, point functionsDir (--functions) elsewhere, or leave it out and register functions in code.",
    );
  }
}

/**
 * Loads every function of a folder: each subfolder with an `index.js|cjs|mjs` and each
 * `name.js|cjs|mjs` file is the function `name`. Its config is `<name>.json` beside it, or
 * `fgconnect.json` inside its subfolder. Other files are ignored.
 */
export async function loadFunctions(dir: string): Promise<Record<string, FunctionDefinition>> {
  const root = resolve(dir);
  const entries = await readdir(root, { withFileTypes: true }).catch(
    (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === "ENOENT"
          ? "no such folder"
          : err.code === "ENOTDIR"
            ? "not a folder"
            : err.message;
      throw new FunctionsFolderError(root, reason);
    },
  );
  // No prototype: a file named like an Object property is a function name like any other.
  const out: Record<string, FunctionDefinition> = Object.create(null);
  const names = new Set<string>();
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    let file: string | undefined;
    let configFile: string | undefined;
    let name: string;
    if (entry.isDirectory()) {
      const index = INDEX_FILES.find((f) => existsSync(join(root, entry.name, f)));
      if (!index) continue;
      name = entry.name;
      file = join(root, entry.name, index);
      configFile = [join(root, entry.name, FOLDER_CONFIG), join(root, `${name}.json`)].find((f) =>
        existsSync(f),
      );
    } else if (entry.isFile() && EXTENSIONS.includes(extname(entry.name))) {
      name = basename(entry.name, extname(entry.name));
      file = join(root, entry.name);
      const cfg = join(root, `${name}.json`);
      configFile = existsSync(cfg) ? cfg : undefined;
    } else {
      continue;
    }
    if (names.has(name)) throw new Error(`function "${name}" is defined twice in ${root}`);
    names.add(name);
    const config = configFile ? await readConfig(configFile) : {};
    const handler = await loadHandler(file, config.handler);
    const key = config.package ? `${config.package}:${name}` : name;
    out[key] = { handler, config };
  }
  return out;
}

async function readConfig(file: string): Promise<FunctionConfig> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error("it must hold a JSON object");
    }
    return parsed as FunctionConfig;
  } catch (err) {
    throw new Error(`cannot read function config ${file}: ${(err as Error).message}`);
  }
}

/** `handler` may be "handler" or FunctionGraph's "index.handler" form: the export after the dot. */
async function loadHandler(file: string, handlerName = "handler"): Promise<Handler> {
  const exportName = handlerName.slice(handlerName.lastIndexOf(".") + 1);
  const mod = await loadModule(file);
  const fn = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof fn !== "function") {
    throw new Error(`${file} does not export a function named "${exportName}"`);
  }
  return fn as Handler;
}

/**
 * `.mjs` is ESM and `.cjs` CommonJS. A `.js` follows Node's rule (the nearest package.json's
 * "type"), except that FunctionGraph-style CommonJS (`exports.handler = ...`) inside an ESM
 * package is still loaded as CommonJS, as FunctionGraph's runtime would.
 */
async function loadModule(file: string): Promise<Record<string, unknown>> {
  if (extname(file) === ".js" && packageType(dirname(file)) === "module") {
    const source = await readFile(file, "utf8");
    if (!ESM_SYNTAX.test(source)) return compileCommonJs(file, source);
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

const ESM_SYNTAX = /^\s*(?:export\s|export\{|import\s*[\w{*"'])/m;

interface InternalModule {
  filename: string;
  paths: string[];
  exports: Record<string, unknown>;
  _compile(source: string, filename: string): void;
}

function compileCommonJs(file: string, source: string): Record<string, unknown> {
  const M = Module as unknown as {
    new (id: string): InternalModule;
    _nodeModulePaths(dir: string): string[];
  };
  const mod = new M(file);
  mod.filename = file;
  mod.paths = M._nodeModulePaths(dirname(file));
  mod._compile(source, file);
  return mod.exports;
}

function packageType(dir: string): string {
  let current = dir;
  for (;;) {
    const pkg = join(current, "package.json");
    if (existsSync(pkg)) {
      try {
        const { type } = JSON.parse(readFileSync(pkg, "utf8")) as { type?: string };
        return type ?? "commonjs";
      } catch {
        return "commonjs";
      }
    }
    const parent = dirname(current);
    if (parent === current) return "commonjs";
    current = parent;
  }
}
