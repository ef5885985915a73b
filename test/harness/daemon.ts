import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const CLI = resolve(import.meta.dirname, "../../apps/runner/dist/cli.js");

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A real `fgconnect run` child process and what it logged. */
export interface DaemonProcess {
  child: ChildProcess;
  /** Every JSON log line so far. */
  lines: LogLine[];
  /** Admin URL, once it logged it. */
  adminUrl?: string;
  /** Resolves with the first log line matching, or rejects after `timeoutMs`. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  stderr(): string;
}

/** A fresh directory for one daemon's config and state. */
export function workDir(prefix = "fgconnect-daemon-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Writes `config` (YAML or JSON text) into `dir` and starts the daemon on it, cwd = `dir`.
 * `cli` runs another build of the daemon (e.g. the standalone bundle) instead of the repo's;
 * `args` are more options of `run` (e.g. `--watch`).
 */
export function startDaemon(
  dir: string,
  config: string,
  env: NodeJS.ProcessEnv = {},
  cli = CLI,
  args: readonly string[] = [],
): DaemonProcess {
  const file = join(dir, "fgconnect.yaml");
  writeFileSync(file, config);
  const child = spawn(process.execPath, [cli, "run", "-c", file, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, FGCONNECT_LOG_LEVEL: "debug", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let err = "";
  let pending = "";
  const daemon: DaemonProcess = {
    child,
    lines,
    waitFor(match, timeoutMs = 20_000) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`daemon did not log the expected line within ${timeoutMs} ms\n${err}`),
            ),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    exited: new Promise((resolve) =>
      child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)),
    ),
    stderr: () => err,
  };
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  child.stdout!.on("data", (d: Buffer) => {
    pending += d.toString();
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf("\n");
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue;
      }
      lines.push(line);
      if (line.msg?.startsWith("admin server") && typeof line.url === "string")
        daemon.adminUrl = line.url;
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  return daemon;
}

/** Starts the daemon and waits until it reports that it is running. */
export async function startRunningDaemon(
  dir: string,
  config: string,
  env?: NodeJS.ProcessEnv,
  args?: readonly string[],
): Promise<DaemonProcess> {
  const daemon = startDaemon(dir, config, env, CLI, args);
  await Promise.race([
    daemon.waitFor((l) => l.msg === "fgconnect running"),
    daemon.exited.then((code) => {
      throw new Error(`daemon exited with ${code} before running:\n${daemon.stderr()}`);
    }),
  ]);
  return daemon;
}
