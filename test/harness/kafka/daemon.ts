/**
 * The real fgconnect daemon (`node apps/runner/dist/cli.js run -c <file>`) as a child process,
 * with a generated config (JSON is YAML) and its admin URL read from its log.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TEST_KAFKA_CLIENT } from "./client-choice.js";

const CLI = resolve(import.meta.dirname, "../../../apps/runner/dist/cli.js");

export interface RunningDaemon {
  process: ChildProcess;
  /** Its working directory (the default dead-letter file is .fgconnect/dead-letter.jsonl here). */
  dir: string;
  adminUrl: string;
  log: string[];
  /** SIGTERM (drain) or SIGKILL; resolves on exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startDaemon(config: object, timeoutMs = 60_000): Promise<RunningDaemon> {
  const dir = await mkdtemp(join(tmpdir(), "fgconnect-kafka-daemon-"));
  const file = join(dir, "fgconnect.yaml");
  await writeFile(file, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [CLI, "run", "-c", file], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const adminUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`daemon did not start:\n${log.join("\n")}`)),
      timeoutMs,
    );
    let url: string | undefined;
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        log.push(line);
        if (log.length > 2000) log.shift();
        try {
          const entry = JSON.parse(line) as { url?: string; msg?: string };
          if (entry.msg?.startsWith("admin server")) url = entry.url;
          if (entry.msg === "fgconnect running" && url) {
            clearTimeout(timer);
            resolveUrl(url);
          }
        } catch {}
      }
    };
    child.stdout!.on("data", onLine);
    child.stderr!.on("data", onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited (${code}) while starting:\n${log.join("\n")}`));
    });
  });
  return {
    process: child,
    dir,
    adminUrl,
    log,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A daemon config: one Kafka connector routed (sync) to one function of an external emulator. */
export function kafkaDaemonConfig(o: {
  emulatorUrl: string;
  projectId: string;
  urn: string;
  connector: Record<string, unknown>;
  batch?: Record<string, number>;
  /** More route settings (delivery, format…). */
  route?: Record<string, unknown>;
}): object {
  return {
    functiongraph: { endpoint: o.emulatorUrl, projectId: o.projectId, auth: { type: "none" } },
    connectors: { orders: { type: "kafka", client: TEST_KAFKA_CLIENT, ...o.connector } },
    routes: [
      {
        from: "orders",
        to: [o.urn],
        mode: "sync",
        format: "rich",
        batch: o.batch ?? { maxRecords: 50 },
        ...o.route,
      },
    ],
    admin: { port: 0 },
    log: { level: "info" },
    shutdown: { deadlineMs: 5_000 },
  };
}
