/** Runs the real `fgconnect` daemon (apps/runner/dist/cli.js) as a child process for a test. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Emulator } from "@fgconnect/emulator";
import { functiongraphOf } from "../harness/emulator-section.js";

const CLI = resolve(import.meta.dirname, "../../apps/runner/dist/cli.js");

export interface DaemonProcess {
  adminUrl: string;
  /** Its config file. */
  file: string;
  /** Every log line (pino JSON) so far. */
  lines: string[];
  /** Everything written to stderr so far. */
  readonly stderr: string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * The daemon config for MQTT connectors delivering to the test's emulator function `sink`
 * (sync routes; `route` adds to each, e.g. a delivery policy).
 */
export function daemonConfig(
  emulator: Emulator,
  connectors: Record<string, Record<string, unknown>>,
  dir: string,
  route: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    functiongraph: functiongraphOf(emulator),
    connectors: Object.fromEntries(
      Object.entries(connectors).map(([name, c]) => [name, { type: "mqtt", ...c }]),
    ),
    routes: Object.keys(connectors).map((name) => ({
      from: name,
      to: [emulator.urnFor("sink")],
      mode: "sync",
      ...route,
    })),
    deadLetter: { type: "file", path: join(dir, "dead-letter.jsonl"), fsync: false },
    admin: { port: 0 },
    log: { level: "info", pretty: false },
    shutdown: { deadlineMs: 5000 },
  };
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "fgc-mqtt-daemon-"));
}

const running = new Set<ChildProcess>();

/** Kills every daemon a test started and left running (a failed assertion skips its own kill). */
export async function killAllDaemons(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

/** Starts the daemon with `config` (JSON is YAML) and resolves once it runs (connectors started). */
export async function startDaemon(
  config: Record<string, unknown>,
  dir: string,
): Promise<DaemonProcess> {
  const file = join(dir, `fgconnect-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(process.execPath, [CLI, "run", "-c", file], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  const lines: string[] = [];
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const adminUrl = await new Promise<string>((resolveUrl, reject) => {
    let url: string | undefined;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      url ??= /"url":"(http:[^"]+)".*admin server/.exec(line)?.[1];
      if (url && line.includes('"fgconnect running"')) resolveUrl(url);
    });
    void exited.then((code) =>
      reject(
        new Error(`daemon exited (${code}) before it was up:\n${stderr}\n${lines.join("\n")}`),
      ),
    );
  });
  return {
    adminUrl,
    file,
    lines,
    get stderr() {
      return stderr;
    },
    async kill(signal) {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
