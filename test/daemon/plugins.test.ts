import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative, resolve } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import {
  CLI,
  type DaemonProcess,
  startDaemon,
  startRunningDaemon,
  workDir,
} from "../harness/daemon.js";
import { until } from "../harness/until.js";

/** The example plugin package, built by `pnpm build`. */
const EXAMPLE = resolve(import.meta.dirname, "../../examples/fgconnect-plugin-example");

let emu: Emulator;
let server: Server;
let statusUrl: string;
/** What the polled URL answers now. */
let status = { version: 1 };
/** Whether the function `flaky` throws. */
let flakyFails = true;
const running: DaemonProcess[] = [];

beforeAll(async () => {
  emu = await startEmulator({
    log: false,
    auth: false,
    functions: {
      watch: async (event: unknown) => ({ seen: event }),
      flaky: async (event: unknown) => {
        if (flakyFails) throw new Error("flaky is down");
        return { seen: event };
      },
    },
  });
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(status));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  statusUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`;
});
afterEach(() => {
  for (const d of running.splice(0)) if (d.child.exitCode === null) d.child.kill("SIGKILL");
});
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  await emu.close();
});

/** A config in `dir` whose plugins are `plugins` (YAML list items, one per line). */
const config = (plugins: string[], route = "{ from: status, to: [watch], mode: sync }") => `
functiongraph:
  endpoint: ${emu.url}
  region: ${emu.region}
  projectId: ${emu.projectId}
plugins:
${plugins.map((p) => `  - ${p}`).join("\n")}
connectors:
  status:
    type: http-poll
    url: ${statusUrl}
    intervalMs: 200
routes:
  - ${route}
deadLetter: { type: file, path: ./dead-letter.jsonl }
admin: { port: 0 }
shutdown: { deadlineMs: 5000 }
`;

const received = (fn: string) =>
  emu.invocations.filter((i) => i.urn.includes(`:${fn}:`) && !i.functionError);
const watched = () =>
  received("watch").map((i) => (i.payload as { body: { version: number } }).body.version);

/** Runs `fgconnect <args>` to its end. */
const cli = (args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 30_000 });

describe("connector plugins", () => {
  it("loads the example plugin from a path relative to the config and delivers what it polls", async () => {
    const dir = workDir();
    const plugin = relative(dir, EXAMPLE);
    status = { version: 1 };
    const daemon = await startRunningDaemon(dir, config([plugin]));
    running.push(daemon);
    await until(() => watched().includes(1));
    status = { version: 2 };
    await until(() => watched().includes(2));
    // Unchanged answers are not sent again.
    expect(watched().filter((v) => v === 1)).toHaveLength(1);
    const metrics = await (await fetch(`${daemon.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /fgconnect_http_poll_requests_total\{result="changed",connector="status"\} [2-9]/,
    );
    expect(metrics).toContain('fgconnect_connector_up{connector="status",type="http-poll"} 1');
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });

  it("replays the plugin's dead letters through its definition's revive and its payload format", async () => {
    const dir = workDir();
    const file = join(dir, "fgconnect.yaml");
    status = { version: 7 };
    flakyFails = true;
    const route =
      "{ name: poll, from: status, to: [flaky], mode: sync, delivery: { maxAttempts: 1 } }";
    const daemon = await startRunningDaemon(dir, config([relative(dir, EXAMPLE)], route));
    running.push(daemon);
    const deadLetters = () => {
      try {
        return readFileSync(join(dir, "dead-letter.jsonl"), "utf8").trim().split("\n");
      } catch {
        return [];
      }
    };
    await until(() => deadLetters().length > 0);
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    const entry = JSON.parse(deadLetters()[0]!) as { id: string; record: { source: string } };
    expect(entry.record.source).toBe("status");

    flakyFails = false;
    const replay = await runCli(["dlq", "replay", "-c", file, "--id", entry.id], dir);
    expect(replay.stderr).toBe("");
    expect(replay.stdout).toContain("replayed 1 of 1: 1 delivered");
    expect(replay.code).toBe(0);
    // The event the plugin's own format builds: { url, status, polledAt, body }.
    const events = received("flaky").map((i) => i.payload);
    expect(events).toEqual([
      { url: statusUrl, status: 200, polledAt: expect.any(String), body: { version: 7 } },
    ]);
    // Marked: a second replay sends nothing.
    const again = await runCli(["dlq", "replay", "-c", file, "--id", entry.id], dir);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("1 matching dead letter(s) already replayed");
    expect(received("flaky")).toHaveLength(1);
  });

  it("validate, schema -c and docs -c know the plugin's connector type", () => {
    const dir = workDir();
    const file = join(dir, "fgconnect.yaml");
    writeFileSync(file, config([relative(dir, EXAMPLE)]));
    const validate = cli(["validate", "-c", file]);
    expect(validate.stderr).toBe("");
    expect(validate.status).toBe(0);
    const schema = JSON.parse(cli(["schema", "-c", file]).stdout) as object;
    expect(JSON.stringify(schema)).toContain('"const":"http-poll"');
    const docs = cli(["docs", "-c", file, "http-poll"]);
    expect(docs.status).toBe(0);
    expect(docs.stdout).toContain("# `http-poll` connector options");
    expect(docs.stdout).toMatch(/\| `url` \(required\) \| string \|/);
  });

  it("finds a plugin named as a package in node_modules beside the config", () => {
    const dir = workDir();
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(EXAMPLE, join(dir, "node_modules", "fgconnect-plugin-example"), "dir");
    const file = join(dir, "fgconnect.yaml");
    writeFileSync(file, config(["fgconnect-plugin-example"]));
    const validate = cli(["validate", "-c", file]);
    expect(validate.stderr).toBe("");
    expect(validate.stdout).toContain("valid (1 connector(s), 1 route(s))");
  });

  const refused = async (plugins: string[], files: Record<string, string> = {}) => {
    const dir = workDir();
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const daemon = startDaemon(dir, config(plugins));
    running.push(daemon);
    expect(await daemon.exited).toBe(2);
    return daemon.stderr();
  };

  it("refuses a plugin that cannot be loaded: exit 2 naming it and its line", async () => {
    const stderr = await refused(["./no-such-plugin.js"]);
    expect(stderr).toMatch(
      /fgconnect\.yaml:7 plugins\[0\]: plugin "\.\/no-such-plugin\.js": cannot be loaded: no such file/,
    );
  });

  it("refuses a plugin that exports no connector definition", async () => {
    const stderr = await refused(["./not-a-plugin.mjs"], {
      "not-a-plugin.mjs": "export const type = 'http-poll';\nexport default { create() {} };\n",
    });
    expect(stderr).toMatch(
      /fgconnect\.yaml:7 plugins\[0\]: plugin "\.\/not-a-plugin\.mjs": exports no connector definition/,
    );
  });

  it("refuses a plugin whose type is registered already", async () => {
    const stderr = await refused([relative(workDir(), EXAMPLE), EXAMPLE]);
    expect(stderr).toContain(
      `fgconnect.yaml:8 plugins[1]: plugin "${EXAMPLE}": connector type "http-poll" from plugin "${EXAMPLE}" is already registered by plugin`,
    );
  });
});
