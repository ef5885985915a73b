// Writes packages/emulator/sample-events.json from the connectors' payload builders
// (apps/runner/src/sample-events.ts). `--check` writes nothing and fails when it is stale.
// Run after `pnpm build`.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const file = resolve(root, "packages/emulator/sample-events.json");
const { buildSampleEvents } = await import(resolve(root, "apps/runner/dist/sample-events.js"));
const samples = buildSampleEvents();
let current;
try {
  current = JSON.parse(readFileSync(file, "utf8"));
} catch {}
if (isDeepStrictEqual(current, samples)) process.exit(0);
if (process.argv.includes("--check")) {
  console.error(
    "packages/emulator/sample-events.json is stale: run `node scripts/sample-events.mjs`",
  );
  process.exit(1);
}
writeFileSync(file, `${JSON.stringify(samples, null, 2)}\n`);
execFileSync(resolve(root, "node_modules/.bin/biome"), ["format", "--write", file], {
  stdio: "inherit",
});
console.log("wrote packages/emulator/sample-events.json");
