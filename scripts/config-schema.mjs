// Writes apps/runner/schema/fgconnect.schema.json, the config's JSON Schema that
// @fgconnect/runner ships (the same as `fgconnect schema` prints). `--check` writes nothing and
// fails when it is stale. Run after `pnpm build`.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const file = resolve(root, "apps/runner/schema/fgconnect.schema.json");
const { configJsonSchema } = await import(resolve(root, "apps/runner/dist/config/json-schema.js"));
const schema = configJsonSchema();
let current;
try {
  current = JSON.parse(readFileSync(file, "utf8"));
} catch {}
if (isDeepStrictEqual(current, schema)) process.exit(0);
if (process.argv.includes("--check")) {
  console.error(
    "apps/runner/schema/fgconnect.schema.json is stale: run `node scripts/config-schema.mjs`",
  );
  process.exit(1);
}
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
execFileSync(resolve(root, "node_modules/.bin/biome"), ["format", "--write", file], {
  stdio: "inherit",
});
console.log("wrote apps/runner/schema/fgconnect.schema.json");
