// Runs every benchmark (bench/*.mjs but this file), or those named: node bench/run.mjs invoke cron
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const here = new URL(".", import.meta.url).pathname;
const all = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && f !== "run.mjs")
  .map((f) => f.slice(0, -4));
const chosen = process.argv.length > 2 ? process.argv.slice(2) : all;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`no benchmark "${name}"; there are: ${all.join(", ")}`);
    process.exit(2);
  }
  console.log(`\n== ${name}`);
  const run = spawnSync(process.execPath, [`${here}${name}.mjs`], { stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
