import { readFileSync } from "node:fs";

/** This package's version, from its package.json (one folder above src/ and dist/). */
export const version: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

/**
 * The config JSON Schema's `$id`: the copy shipped in this very version of the package, as the
 * npm CDN serves it, so an editor's modeline pins the schema of the daemon it configures.
 */
export const SCHEMA_URL = `https://unpkg.com/@fgconnect/runner@${version}/schema/fgconnect.schema.json`;
