/** Test doubles for the engine: a connector, an invoker and a dead-letter sink, all scriptable. */
import { vi } from "vitest";
import type {
  AsyncInvokeResult,
  InvokeOptions,
  InvokeResult,
  Invoker,
} from "../../src/client/types.js";
import type {
  Connector,
  ConnectorContext,
  RecordOutcome,
  SourceRecord,
} from "../../src/connector.js";
import type { DeadLetterEntry, DeadLetterSink } from "../../src/dead-letters.js";
import { createEngine, type Engine, type EngineOptions } from "../../src/engine/engine.js";
import { type EngineMetrics, noopMetrics } from "../../src/engine/metrics.js";

export function record(id: string, fields: Partial<SourceRecord> = {}): SourceRecord {
  return {
    id,
    source: "src",
    attributes: {},
    body: id,
    timestamp: Date.now(),
    size: 10,
    ...fields,
  };
}

/** The payload the fake connector's default format builds: the batch's record ids. */
export interface FakePayload {
  ids: string[];
}

export class FakeConnector implements Connector {
  readonly type = "fake";
  readonly defaultFormat = "ids";
  readonly formats = {
    ids: {
      description: "the record ids",
      build: (records: readonly SourceRecord[]): FakePayload => ({ ids: records.map((r) => r.id) }),
    },
    broken: {
      description: "always throws",
      build: (): never => {
        throw new Error("cannot format");
      },
    },
    picky: {
      description: "the record ids; throws on a record whose id starts with 'bad'",
      build: (records: readonly SourceRecord[]): FakePayload => {
        const bad = records.find((r) => r.id.startsWith("bad"));
        if (bad) throw new Error(`cannot format ${bad.id}`);
        return { ids: records.map((r) => r.id) };
      },
    },
    named: {
      description: "the record ids; a function names a record 'item:<id>'",
      build: (records: readonly SourceRecord[]): FakePayload => ({ ids: records.map((r) => r.id) }),
      itemId: (r: SourceRecord): string => `item:${r.id}`,
    },
  };
  /** pause / resume / stop, in the order the engine called them. */
  readonly calls: string[] = [];
  ctx: ConnectorContext | undefined;
  /** Outcomes seen by the time stop() was called. */
  outcomesAtStop: number | undefined;
  readonly outcomes = new Map<string, RecordOutcome>();

  constructor(readonly name = "src") {}

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx;
  }
  pause(): void {
    this.calls.push("pause");
  }
  resume(): void {
    this.calls.push("resume");
  }
  async stop(): Promise<void> {
    this.calls.push("stop");
    this.outcomesAtStop = this.outcomes.size;
  }
  health() {
    return { connected: true };
  }

  /** Pushes like a real source: keeps the promise, records the outcome when it settles. */
  push(r: SourceRecord): Promise<RecordOutcome> {
    if (!this.ctx) throw new Error("not started");
    const outcome = this.ctx.push({ ...r, source: this.name });
    void outcome.then((o) => this.outcomes.set(r.id, o));
    return outcome;
  }
}

export interface Call {
  mode: "sync" | "async";
  urn: string;
  payload: FakePayload;
  options: InvokeOptions | undefined;
  /** Fake time when the call started. */
  at: number;
}

type Behaviour = (call: Call) => Promise<void> | void;

/**
 * Records every call; `behaviour` decides each call's fate (throw to fail). By default every
 * call succeeds at once. `hold()` makes calls wait until released, to observe concurrency.
 */
export class FakeInvoker implements Invoker {
  readonly calls: Call[] = [];
  behaviour: Behaviour = () => {};
  active = 0;
  maxActive = 0;
  readonly #held: { call: Call; release: (error?: unknown) => void }[] = [];

  /** What a sync call's function returns (as JSON), once its behaviour let it succeed. */
  answer: (call: Call) => unknown = () => "ok";

  invoke(urn: string, payload: unknown, options?: InvokeOptions): Promise<InvokeResult> {
    return this.#call("sync", urn, payload, options).then((call) => {
      const json = this.answer(call);
      const raw = typeof json === "string" ? json : JSON.stringify(json);
      return { requestId: "req", status: 200, raw, json };
    });
  }

  invokeAsync(urn: string, payload: unknown, options?: InvokeOptions): Promise<AsyncInvokeResult> {
    return this.#call("async", urn, payload, options).then(() => ({ requestId: "req" }));
  }

  /** From now on, calls wait until `release()`d (or their signal aborts). */
  hold(): void {
    this.behaviour = (call) =>
      new Promise<void>((resolve, reject) => {
        const release = (error?: unknown) => (error ? reject(error) : resolve());
        this.#held.push({ call, release });
        call.options?.signal?.addEventListener("abort", () => reject(new Error("aborted")));
      });
  }

  get held(): Call[] {
    return this.#held.map((h) => h.call);
  }

  /** Settles the oldest held call (successfully unless given an error). */
  release(error?: unknown): Call {
    const next = this.#held.shift();
    if (!next) throw new Error("no held call");
    next.release(error);
    return next.call;
  }

  async #call(
    mode: "sync" | "async",
    urn: string,
    payload: unknown,
    options: InvokeOptions | undefined,
  ): Promise<Call> {
    const call: Call = { mode, urn, payload: payload as FakePayload, options, at: Date.now() };
    this.calls.push(call);
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await this.behaviour(call);
    } finally {
      this.active -= 1;
    }
    return call;
  }
}

export class MemorySink implements DeadLetterSink {
  readonly entries: DeadLetterEntry[] = [];
  /** The records the engine handed with each entry. */
  readonly records: SourceRecord[] = [];
  /** How many of the next writes fail. */
  failures = 0;
  attempts = 0;

  async write(entry: DeadLetterEntry, record: SourceRecord): Promise<void> {
    this.attempts += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error("disk full");
    }
    this.entries.push(entry);
    this.records.push(record);
  }
}

/** Lets timers due now and every pending promise callback run (fake timers only). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) {
    await vi.advanceTimersByTimeAsync(0);
    for (let j = 0; j < 20; j += 1) await Promise.resolve();
  }
}

/** Advances fake time by `ms`, then settles. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

/** Metrics that remember every call as [hook, ...args]. */
export function recordingMetrics(): { metrics: EngineMetrics; calls: [string, ...unknown[]][] } {
  const calls: [string, ...unknown[]][] = [];
  const metrics = {} as Record<string, (...args: unknown[]) => void>;
  for (const name of Object.keys(noopMetrics)) {
    metrics[name] = (...args: unknown[]) => calls.push([name, ...args]);
  }
  return { metrics: metrics as unknown as EngineMetrics, calls };
}

export interface Harness {
  engine: Engine;
  connector: FakeConnector;
  invoker: FakeInvoker;
  sink: MemorySink;
  metrics: [string, ...unknown[]][];
}

/** A started engine with one fake connector named "src"; jitter draws 0.5 unless told. */
export async function startEngine(options: Partial<EngineOptions> = {}): Promise<Harness> {
  const connector = new FakeConnector();
  const invoker = new FakeInvoker();
  const sink = new MemorySink();
  const { metrics, calls } = recordingMetrics();
  const engine = createEngine({
    invoker,
    connectors: [connector],
    routes: [{ name: "r", from: "src", to: ["fn"], mode: "async" }],
    deadLetter: sink,
    metrics,
    random: () => 0.5,
    ...options,
  });
  await engine.start();
  return { engine, connector, invoker, sink, metrics: calls };
}
