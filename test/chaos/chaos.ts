/**
 * The built daemon under chaos: run with an embedded emulator whose function records every
 * record id it takes (recording-function.ts), SIGKILLed and restarted on the same work dir (its
 * checkpoints, state files and dead letters stay), and what it delivered counted by id.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DaemonProcess, startDaemon, workDir } from "../harness/daemon.js";
import {
  type Delivery,
  FUNCTION_NAME,
  JsonLinesReader,
  type RecordingFunctionOptions,
  writeRecordingFunction,
} from "./recording-function.js";

/** SIGKILLs per case. */
export const KILLS = 3;

/**
 * Retries quick enough to keep a stream moving and many enough that a function failing 30% of
 * its calls never exhausts them (0.3^30): a dead letter in these tests is a lost record.
 */
export const DELIVERY = { firstDelayMs: 20, maxDelayMs: 200, maxAttempts: 30 };

export interface ChaosConfig {
  connectors: Record<string, Record<string, unknown>>;
  /** Routes to the recording function; `to` and `mode` (sync) are filled in. */
  routes: Record<string, unknown>[];
  limits?: Record<string, unknown>;
  /**
   * A FunctionGraph of the test's own to deliver to, instead of an emulator inside the daemon:
   * what it accepted (an async invocation) outlives a SIGKILLed daemon, as in the cloud.
   */
  functiongraph?: { endpoint: string; projectId: string; region: string };
}

export interface Tally {
  /** Deliveries in all. */
  total: number;
  /** Distinct ids. */
  distinct: number;
  /** Deliveries beyond the first of each id. */
  duplicates: number;
  counts: Map<string, number>;
}

export function tally(deliveries: readonly Delivery[]): Tally {
  const counts = new Map<string, number>();
  for (const d of deliveries) counts.set(d.id, (counts.get(d.id) ?? 0) + 1);
  return {
    total: deliveries.length,
    distinct: counts.size,
    duplicates: deliveries.length - counts.size,
    counts,
  };
}

/** Ids expected but never delivered (the first few, for the failure message). */
export function missing(expected: Iterable<string>, t: Tally, show = 20): string[] {
  const out: string[] = [];
  for (const id of expected) if (!t.counts.has(id) && out.push(id) >= show) break;
  return out;
}

/**
 * Deliveries that broke the order of their key: a record delivered before the one before it
 * (`seq` − 1) was ever delivered, or, within one daemon process, skipping ahead of the record
 * after its previous one. Going back (a restart re-reading from its last commit) is allowed.
 */
export function orderViolations(
  deliveries: readonly Delivery[],
  keyOf: (d: Delivery) => string,
  seqOf: (d: Delivery) => number,
): string[] {
  const highest = new Map<string, number>();
  const lastInProcess = new Map<string, number>();
  const out: string[] = [];
  for (const d of deliveries) {
    const key = keyOf(d);
    const seq = seqOf(d);
    const top = highest.get(key) ?? -1;
    const last = lastInProcess.get(`${d.pid}/${key}`);
    if (seq > top + 1) out.push(`${d.id} before ${key} #${top + 1} was delivered`);
    else if (last !== undefined && seq > last + 1)
      out.push(`${d.id} right after ${key} #${last} in daemon ${d.pid}`);
    highest.set(key, Math.max(top, seq));
    lastInProcess.set(`${d.pid}/${key}`, seq);
  }
  return out;
}

const FRAME = /\n\s*at /;

function hasFrame(value: unknown): boolean {
  if (typeof value === "string") return FRAME.test(value);
  if (typeof value === "object" && value !== null) return Object.values(value).some(hasFrame);
  return false;
}

function hasStackField(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(([k, v]) => k === "stack" || hasStackField(v));
}

/**
 * A daemon's log lines that carry a stack trace: any line with a stack frame in it, and any
 * line at warn or above with a `stack` field (an `err` logged whole). Ordinary faults are one
 * warn line with the reason; stacks belong at debug.
 */
export function stackTraces(d: DaemonProcess): string[] {
  const found = d.lines
    .filter((l) => hasFrame(l) || (l.level >= 40 && hasStackField(l)))
    .map((l) => JSON.stringify(l).slice(0, 1500));
  if (FRAME.test(d.stderr())) found.push(`stderr: ${d.stderr().slice(0, 1500)}`);
  return found;
}

export class ChaosDaemon {
  readonly dir = workDir("fgconnect-chaos-");
  /** Every daemon process started, in order. */
  readonly incarnations: DaemonProcess[] = [];
  /** Each SIGKILL: when it was sent, to which process, and the deliveries recorded by then. */
  readonly kills: { at: number; pid: number; deliveries: number }[] = [];
  /** What happened when, for the report: starts, kills, and the case's own `mark`s. */
  private readonly timeline: { what: string; at: number }[] = [];
  private readonly delivered: JsonLinesReader<Delivery>;
  private readonly failed: JsonLinesReader<unknown>;
  private readonly config: string;

  constructor(
    readonly label: string,
    fn: RecordingFunctionOptions,
    config: ChaosConfig,
  ) {
    const files = writeRecordingFunction(this.dir, fn);
    this.delivered = new JsonLinesReader(files.deliveries);
    this.failed = new JsonLinesReader(files.failures);
    this.config = JSON.stringify(
      {
        ...(config.functiongraph
          ? { functiongraph: { ...config.functiongraph, auth: { type: "none" } } }
          : { emulator: { functions: "./functions" } }),
        connectors: config.connectors,
        routes: config.routes.map((r) => ({ to: [FUNCTION_NAME], mode: "sync", ...r })),
        limits: config.limits ?? {},
        deadLetter: { type: "file", path: "./dead-letter.jsonl", fsync: true },
        admin: { port: 0 },
        log: { level: "info", pretty: false },
        shutdown: { deadlineMs: 5_000 },
      },
      null,
      2,
    );
  }

  /** The daemon process running now, if any. */
  get current(): DaemonProcess | undefined {
    const d = this.incarnations.at(-1);
    return d && d.child.exitCode === null && d.child.signalCode === null ? d : undefined;
  }

  /** Starts a daemon on the work dir and waits until it runs. */
  async start(): Promise<DaemonProcess> {
    if (this.current) throw new Error("a daemon is already running");
    this.mark("start");
    const d = startDaemon(this.dir, this.config, { FGCONNECT_LOG_LEVEL: "info" });
    this.incarnations.push(d);
    await Promise.race([
      d.waitFor((l) => l.msg === "fgconnect running", 60_000),
      d.exited.then((code) => {
        throw new Error(`${this.label}: the daemon exited (${code}) at start:\n${d.stderr()}`);
      }),
    ]);
    return d;
  }

  /** SIGKILLs the running daemon and waits until it is gone. */
  async kill(): Promise<void> {
    const d = this.running();
    const at = Date.now();
    d.child.kill("SIGKILL");
    await d.exited;
    this.kills.push({ at, pid: d.child.pid!, deliveries: this.deliveries().length });
    this.mark("SIGKILL");
    this.saveLog(d);
  }

  /** SIGTERM: the daemon drains and exits; resolves with its exit code. */
  async stop(): Promise<number | string> {
    const d = this.running();
    d.child.kill("SIGTERM");
    const code = await d.exited;
    this.saveLog(d);
    return code;
  }

  /** Kills a daemon left running (a failed assertion skipped its stop). */
  async close(): Promise<void> {
    const d = this.current;
    if (!d) return;
    d.child.kill("SIGKILL");
    await d.exited;
    this.saveLog(d);
  }

  /** Notes an event of the case (a broker restart) on the timeline the report prints. */
  mark(what: string): void {
    this.timeline.push({ what, at: Date.now() });
  }

  /** Every record the function took, in the order it took them. */
  deliveries(): readonly Delivery[] {
    return this.delivered.read();
  }

  tally(): Tally {
    return tally(this.deliveries());
  }

  /** Invocations the function failed on purpose. */
  failures(): number {
    return this.failed.read().length;
  }

  /** Entries in the daemon's dead-letter file. */
  deadLetters(): string[] {
    const file = join(this.dir, "dead-letter.jsonl");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  }

  /** Stack traces logged by any of the daemons, each with the process it came from. */
  stackTraces(): string[] {
    return this.incarnations.flatMap((d) =>
      stackTraces(d).map((line) => `[pid ${d.child.pid}] ${line}`),
    );
  }

  /** Polls `check` until it holds; fails after `timeoutMs`, or at once if the daemon died. */
  async until(
    what: string,
    check: () => boolean | Promise<boolean>,
    timeoutMs = 60_000,
  ): Promise<void> {
    const daemon = this.incarnations.at(-1);
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (daemon && daemon.child.exitCode !== null)
        throw new Error(
          `${this.label}: the daemon exited (${daemon.child.exitCode}) while waiting for ${what}\n${daemon.stderr()}`,
        );
      if (Date.now() > deadline) {
        const warning = daemon?.lines.findLast(
          (l) => l.level >= 40 && l.msg !== "invocation failed; retrying",
        );
        throw new Error(
          `${this.label}: timed out after ${timeoutMs} ms waiting for ${what} (${this.tally().distinct} distinct ids delivered, ${this.deadLetters().length} dead-lettered); the daemon's last warning: ${warning ? JSON.stringify(warning) : "none"}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until `n` more distinct ids than now were delivered. */
  async progress(n: number, what = `${n} more ids`, timeoutMs?: number): Promise<void> {
    await this.beyond(this.tally().distinct, n, Number.POSITIVE_INFINITY, what, timeoutMs);
  }

  /**
   * Waits until `n` more distinct ids than `from` were delivered, or all `available` were: a
   * fast daemon may deliver what was just sent before the wait begins.
   */
  async beyond(
    from: number,
    n: number,
    available: number,
    what = `${n} more ids`,
    timeoutMs?: number,
  ): Promise<void> {
    const target = Math.min(available, from + n);
    await this.until(what, () => this.tally().distinct >= target, timeoutMs);
  }

  /** One line for the test output: what was delivered and the bound on duplicates. */
  report(expected: number, bound: number, detail = ""): void {
    const t = this.tally();
    console.log(
      `[chaos ${this.label}] ${t.distinct} of ${expected} ids delivered, ${t.total} deliveries, ${t.duplicates} duplicate(s) (bound ${bound}); ${this.failures()} injected function failures; ${this.kills.length} SIGKILLs; ${this.deadLetters().length} dead letters${detail ? `; ${detail}` : ""}\n  timeline (s): ${this.timeline.map((e) => `${e.what} ${((e.at - this.timeline[0]!.at) / 1000).toFixed(1)}`).join(", ")}; work dir ${this.dir}`,
    );
  }

  /** Keeps a daemon's log in the work dir (daemon-<n>.log), to read after a failure. */
  private saveLog(d: DaemonProcess): void {
    const n = this.incarnations.indexOf(d) + 1;
    const text = d.lines.map((l) => JSON.stringify(l)).join("\n");
    writeFileSync(join(this.dir, `daemon-${n}.log`), `${text}\n${d.stderr()}`);
  }

  private running(): DaemonProcess {
    const d = this.current;
    if (!d) throw new Error(`${this.label}: no daemon is running`);
    return d;
  }
}
