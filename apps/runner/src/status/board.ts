import type { Connector, Coordinator, Engine } from "@fgconnect/core";
import { Rates } from "./rates.js";
import { RecentInvocations } from "./recent.js";
import { buildSnapshot, outKey, type StatusSnapshot } from "./snapshot.js";
import { StatusStats } from "./stats.js";

const TICK_MS = 1_000;
/** Asking a source for its lag can cost a broker round trip: not more often than this. */
const LAG_EVERY_MS = 5_000;

type Listener = (snapshot: StatusSnapshot) => void;

/**
 * What the status page shows, kept by the daemon: the engine's counts (`stats.hooks` go into
 * createEngine's metrics), the recent invocations (`recent`, fed by the observed invoker),
 * rates sampled each second, and the sources' lag. Listeners get a snapshot each second.
 */
export class StatusBoard {
  readonly stats = new StatusStats();
  readonly recent: RecentInvocations;
  private readonly rates = new Rates();
  private readonly lag = new Map<string, number>();
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private running?: { engine: Engine; connectors: readonly Connector[]; coordinator?: Coordinator };
  private lagAt = 0;
  private lagPending = false;

  constructor(options: { invocations?: number } = {}) {
    this.recent = new RecentInvocations(options.invocations);
  }

  /** Begins sampling; call once the engine exists. */
  start(running: { engine: Engine; connectors: readonly Connector[]; coordinator?: Coordinator }) {
    this.running = running;
    this.tick();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }

  snapshot(): StatusSnapshot {
    if (!this.running) throw new Error("the status board was not started");
    return buildSnapshot({
      ...this.running,
      stats: this.stats,
      rates: this.rates,
      lag: this.lag,
      invocations: this.recent.list(),
    });
  }

  /** Records waiting at every source that knows, summed; undefined when none knows. */
  totalLag(): number | undefined {
    if (this.lag.size === 0) return undefined;
    let total = 0;
    for (const n of this.lag.values()) total += n;
    return total;
  }

  /** Calls `listener` with a snapshot each second until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tick(): void {
    const running = this.running!;
    const counters = new Map(this.stats.received);
    const sourceOf = new Map(running.engine.routes.map((r) => [r.name, r.from]));
    for (const [route, counts] of this.stats.routes) {
      const source = sourceOf.get(route);
      if (source)
        counters.set(outKey(source), (counters.get(outKey(source)) ?? 0) + counts.delivered);
    }
    const now = Date.now();
    this.rates.sample(now, counters);
    if (now - this.lagAt >= LAG_EVERY_MS && !this.lagPending) void this.refreshLag(now);
    if (this.listeners.size === 0) return;
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
  }

  private async refreshLag(now: number): Promise<void> {
    this.lagPending = true;
    this.lagAt = now;
    try {
      await Promise.all(
        this.running!.connectors.map(async (c) => {
          const lag = c.lag ? await c.lag().catch(() => undefined) : undefined;
          if (lag) this.lag.set(c.name, lag.total);
          else this.lag.delete(c.name);
        }),
      );
    } finally {
      this.lagPending = false;
    }
  }
}
