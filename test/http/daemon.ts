/** Starts the built daemon with HTTP connectors delivering to an in-process emulator. */
import { join } from "node:path";
import type { Emulator } from "@fgconnect/emulator";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { functiongraphOf } from "../harness/emulator-section.js";

export interface HttpDaemon {
  daemon: DaemonProcess;
  dir: string;
  /** Base URL of each connector's server, by connector name. */
  urls: Record<string, string>;
}

export async function startHttpDaemon(
  emulator: Emulator,
  connectors: Record<string, Record<string, unknown>>,
  routes: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): Promise<HttpDaemon> {
  const dir = workDir("fgc-http-");
  const config = {
    functiongraph: functiongraphOf(emulator),
    connectors: Object.fromEntries(
      Object.entries(connectors).map(([name, c]) => [
        name,
        { type: "http", host: "127.0.0.1", port: 0, ...c },
      ]),
    ),
    routes,
    deadLetter: { type: "file", path: join(dir, "dead-letter.jsonl"), fsync: false },
    admin: { port: 0 },
    log: { level: "info", pretty: false },
    ...extra,
  };
  const daemon = await startRunningDaemon(dir, JSON.stringify(config, null, 2), {
    FGCONNECT_LOG_LEVEL: "info",
  });
  const urls: Record<string, string> = {};
  for (const line of daemon.lines)
    if (line.msg === "http server listening") urls[String(line.connector)] = String(line.url);
  for (const name of Object.keys(connectors))
    if (!urls[name])
      throw new Error(
        `no "http server listening" line for ${name}:\n${daemon.lines.map((l) => JSON.stringify(l)).join("\n")}`,
      );
  return { daemon, dir, urls };
}

/** Ends the daemon (SIGKILL when it does not exit on SIGTERM). */
export async function stopDaemon(d: HttpDaemon | undefined): Promise<void> {
  if (!d) return;
  const { child, exited } = d.daemon;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}
