// Writes a standalone copy of the fgconnect daemon into a folder: its built code, the bundled
// example and production dependencies only, runnable with `node <dir>/bin/fgconnect.js` and nothing
// else (no pnpm, no repo). The Dockerfile in deploy/ and the bundle test both call this script.
// Usage: node scripts/bundle.mjs <out-dir>   (after `pnpm build`)
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/bundle.mjs <out-dir>");
  process.exit(2);
}
const target = resolve(out);
for (const pkg of ["apps/runner", "packages/core", "packages/emulator"]) {
  if (!existsSync(resolve(root, pkg, "dist"))) {
    console.error(`${pkg}/dist is missing: run \`pnpm build\` first`);
    process.exit(2);
  }
}
rmSync(target, { recursive: true, force: true });
// Under `pnpm <script>` npm_execpath is pnpm's own entry; otherwise pnpm must be on PATH.
const execpath = process.env.npm_execpath;
const [cmd, pre] =
  execpath && /pnpm/.test(execpath) ? [process.execPath, [execpath]] : ["pnpm", []];
// `--legacy`: workspace packages are copied in as they would be published (their `files`).
const run = spawnSync(
  cmd,
  [...pre, "--filter", "@fgconnect/runner", "deploy", "--prod", "--legacy", target],
  { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
);
if (run.error) {
  console.error(
    `cannot run pnpm (${run.error.message}): put pnpm on PATH, or run this through \`pnpm bundle\``,
  );
  process.exit(1);
}
if (run.status !== 0) process.exit(run.status ?? 1);
console.log(
  `bundle written to ${target}; run it with: node ${target}/bin/fgconnect.js run -c <config>`,
);
