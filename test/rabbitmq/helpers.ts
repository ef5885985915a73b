/** The shared broker, unique queue names, publishing, and daemons whose function logs ids. */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import amqplib, { type ChannelModel } from "amqplib";
import { afterAll, beforeAll } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";

export const BROKER_URL = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
/** A daemon's rabbitmq connector on the shared broker, but for its queues and settings. */
export const DAEMON_CONNECTOR = {
  type: "rabbitmq",
  // The daemon refuses credentials inside a URL: they go in their own options.
  url: "amqp://127.0.0.1:5672",
  username: "guest",
  password: "guest",
};

const run = promisify(execFile);

export function uniqueName(prefix: string): string {
  return `fgc-test-${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** A connection of the test's own, for declaring, publishing and cleaning up. */
export async function admin(): Promise<ChannelModel> {
  return amqplib.connect(BROKER_URL);
}

/** Publishes `{i}` bodies (plus `extra`) to a queue through a confirm channel. */
export async function publish(
  model: ChannelModel,
  queue: string,
  ids: readonly number[],
  extra: (i: number) => Record<string, unknown> = () => ({}),
): Promise<void> {
  const ch = await model.createConfirmChannel();
  for (const i of ids) {
    if (
      !ch.sendToQueue(queue, Buffer.from(JSON.stringify({ i, ...extra(i) })), { persistent: true })
    )
      await new Promise((r) => ch.once("drain", r));
  }
  await ch.waitForConfirms();
  await ch.close();
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

/** The function the daemons' embedded emulator runs: appends the ids it was given, or fails. */
const SINK = `import { appendFileSync } from "node:fs";
import { join } from "node:path";
const out = join(import.meta.dirname, "..", "received.log");
export async function handler(event) {
  const bodies = event.records.flatMap((r) => r.messages.map((m) => JSON.parse(m)));
  if (bodies.some((b) => b.fail)) throw new Error("this message is refused");
  const slowMs = Math.max(0, ...bodies.map((b) => b.slowMs ?? 0));
  if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
  appendFileSync(out, bodies.map((b) => b.i + "\\n").join(""));
  return { ok: true };
}
`;

/** A work dir with the sink function, and the config for one rabbitmq connector `mq`. */
export function daemonDir(): string {
  const dir = workDir("fgc-rabbitmq-");
  mkdirSync(join(dir, "functions"));
  writeFileSync(join(dir, "functions", "sink.mjs"), SINK);
  return dir;
}

/** `top` replaces top-level sections (e.g. `functiongraph` for an emulator of the test's own). */
export function config(
  connector: Record<string, unknown>,
  route: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    emulator: { functions: "./functions" },
    connectors: {
      mq: { ...DAEMON_CONNECTOR, ...connector },
    },
    routes: [
      {
        from: "mq",
        to: ["sink"],
        mode: "sync",
        batch: { maxRecords: 100, maxWaitMs: 5 },
        delivery: { maxAttempts: 2, firstDelayMs: 10, maxDelayMs: 50 },
        ...route,
      },
    ],
    deadLetter: { type: "file", path: "./dead-letter.jsonl", fsync: false },
    admin: { port: 0 },
    log: { level: "info" },
    shutdown: { deadlineMs: 5000 },
    ...top,
  });
}

export function startIn(dir: string, text: string): Promise<DaemonProcess> {
  return startRunningDaemon(dir, text, { FGCONNECT_LOG_LEVEL: "info" });
}

/** Ids the sink function of the daemon in `dir` received, in order (with repeats). */
export function received(dir: string): number[] {
  const file = join(dir, "received.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number);
}

export function deadLetters(
  dir: string,
): { record: { id: string; body: unknown }; reason: string }[] {
  const file = join(dir, "dead-letter.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

export async function stopDaemon(daemon: DaemonProcess, signal: NodeJS.Signals = "SIGTERM") {
  if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill(signal);
  return daemon.exited;
}

/** Closes, server side, the connections whose client-given name is `name` (only ours). */
export async function closeConnectionsNamed(name: string): Promise<number> {
  // The tab-separated listing gives pids in the form close_connection takes (<rabbit@host.1.2.3>).
  const { stdout } = await run("rabbitmqctl", [
    "list_connections",
    "pid",
    "client_properties",
    "--quiet",
  ]);
  const pids = stdout
    .split("\n")
    .filter((line) => line.includes(`"${name}"`))
    .map((line) => line.split("\t")[0]!);
  for (const pid of pids) await run("rabbitmqctl", ["close_connection", pid, "closed by the test"]);
  return pids.length;
}

/**
 * A test file's admin connection, and the queues and daemons its tests create: after the file,
 * the daemons are killed and the queues deleted.
 */
export function brokerFixture(): {
  model: ChannelModel;
  queues: string[];
  daemons: DaemonProcess[];
} {
  const fixture = {
    model: undefined as unknown as ChannelModel,
    queues: [] as string[],
    daemons: [] as DaemonProcess[],
  };
  beforeAll(async () => {
    fixture.model = await admin();
  });
  afterAll(async () => {
    await Promise.all(fixture.daemons.map((d) => stopDaemon(d, "SIGKILL")));
    const ch = await fixture.model.createChannel();
    for (const q of fixture.queues) await ch.deleteQueue(q);
    await fixture.model.close();
  });
  return fixture;
}
