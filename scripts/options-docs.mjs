// Writes each built-in connector's OPTIONS.md from its definition (the same text
// `fgconnect docs <type>` prints), and the example plugin's. `--check` writes nothing and
// fails when one is stale.
// Run after `pnpm build`.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { optionsDocs } = await import(resolve(root, "apps/runner/dist/docs.js"));
const { renderOptionsDoc } = await import(resolve(root, "packages/core/dist/index.js"));
const example = "examples/fgconnect-plugin-example";
const { default: exampleDefinition } = await import(resolve(root, example, "dist/index.js"));
const docs = [
  ...optionsDocs(),
  { dir: example, text: renderOptionsDoc(exampleDefinition, "fgconnect-plugin-example") },
];
const check = process.argv.includes("--check");
let stale = 0;
for (const { dir, text } of docs) {
  const file = resolve(root, dir, "OPTIONS.md");
  let current = "";
  try {
    current = readFileSync(file, "utf8");
  } catch {}
  if (current === text) continue;
  if (check) {
    console.error(`${dir}/OPTIONS.md is stale: run \`node scripts/options-docs.mjs\``);
    stale += 1;
  } else {
    writeFileSync(file, text);
    console.log(`wrote ${dir}/OPTIONS.md`);
  }
}
process.exit(stale > 0 ? 1 : 0);
