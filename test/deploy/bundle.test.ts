import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startDaemon } from "../harness/daemon.js";

const root = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "fgconnect-bundle-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the standalone bundle", () => {
  it("runs from a folder outside the repo with only Node and invokes a function", async () => {
    const built = join(work, "built");
    const bundle = spawnSync(process.execPath, [join(root, "scripts/bundle.mjs"), built], {
      cwd: root,
      encoding: "utf8",
    });
    expect(bundle.status, bundle.stderr).toBe(0);

    // Moved elsewhere: nothing may point back into the repo or its store.
    const installed = join(work, "opt", "fgconnect");
    cpSync(built, installed, { recursive: true, verbatimSymlinks: true });
    rmSync(built, { recursive: true, force: true });
    const cli = join(installed, "dist", "cli.js");
    expect(readFileSync(cli, "utf8")).toMatch(/^#!\/usr\/bin\/env node/);

    const site = join(work, "site");
    mkdirSync(join(site, "functions", "record"), { recursive: true });
    const received = join(site, "received.jsonl");
    writeFileSync(
      join(site, "functions", "record", "index.js"),
      `const { appendFileSync } = require("node:fs");
exports.handler = async (event) => {
  appendFileSync(${JSON.stringify(received)}, JSON.stringify(event) + "\\n");
  return { ok: true };
};`,
    );
    const daemon = startDaemon(
      site,
      `emulator: { functions: ./functions }
connectors:
  ticks:
    type: cron
    schedules: [{ name: every-second, schedule: "* * * * * *", userEvent: from-the-bundle }]
    stateFile: ./cron-state.json
routes:
  - { from: ticks, to: [record], mode: sync }
admin: { port: 0 }
`,
      {},
      cli,
    );
    try {
      await daemon.waitFor((l) => l.msg === "fgconnect running", 60_000);
      await expect
        .poll(() => readIfThere(received), { timeout: 30_000, interval: 200 })
        .toContain('"user_event":"from-the-bundle"');
      // The status page's files ship in the package, beside dist/.
      const page = await fetch(`${daemon.adminUrl}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<title>fgconnect status</title>");
      expect((await fetch(`${daemon.adminUrl}/status/status.js`)).status).toBe(200);
    } finally {
      daemon.child.kill("SIGTERM");
      expect(await daemon.exited).toBe(0);
    }
  });
});

function readIfThere(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
