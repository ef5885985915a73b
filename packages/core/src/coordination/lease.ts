/**
 * One lease, kept by this replica: acquired when free, renewed every `renewEveryMs`, and given
 * up — locally, before it can have expired in the engine — when renewals fail. The engine keeps
 * the lease `ttlMs` (nine tenths of `leaseMs`) after its last renewal; a standby asks again as
 * it expires, so it holds the lease and acts within `leaseMs` of the holder's death. Times are read
 * from a monotonic clock, and each renewal's deadline counts from the moment its request was
 * SENT: the engine extends the lease from the moment it handles the request, which is later, so
 * the local deadline always falls at least `marginMs` before the engine's expiry.
 */
import type { Clock } from "../engine/clock.js";
import { type Logger, silentLogger } from "../engine/logger.js";
import type { CoordinationDriver, CoordinationHealth } from "./driver.js";
import { LeaseLostError, messageOf } from "./errors.js";
import type { LeaseTimings } from "./options.js";

/** One holding of a lease: its fencing token and the state it may write. */
export interface LeaseTerm {
  readonly lease: string;
  readonly token: number;
  /** False once this replica stopped holding the lease (lost, released, or deadline passed). */
  readonly active: boolean;
  /** Reads shared state of the lease. */
  get(key: string): Promise<string | undefined>;
  /** Writes shared state if this term's token is still the current one; else LeaseLostError. */
  set(key: string, value: string): Promise<void>;
  /** Resolves if this term's token is still the current one; else LeaseLostError. */
  check(): Promise<void>;
}

export interface Lease {
  readonly name: string;
  /** True while this replica holds the lease and may act. */
  readonly held: boolean;
  /** The current term's fencing token, while held. */
  readonly token: number | undefined;
  /** How many times the lease was gained and lost here. */
  readonly transitions: { readonly gained: number; readonly lost: number };
  onGained(listener: (term: LeaseTerm) => void): void;
  onLost(listener: (term: LeaseTerm, reason: string) => void): void;
  /** Begins competing for the lease. */
  start(): void;
  /** Ends `term` in the engine (if still current) so another replica takes over at once. */
  release(term: LeaseTerm): Promise<void>;
  /** Stops competing and releases the lease if held. */
  stop(): Promise<void>;
  /** The coordination engine's health. */
  health(): CoordinationHealth;
}

/** A monotonic clock: intervals, not wall time, decide when to stop acting. */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface LeaseKeeperOptions {
  name: string;
  /** Who this replica is in the engine (unique per process). */
  holder: string;
  driver: CoordinationDriver;
  timings: LeaseTimings;
  clock?: Clock;
  logger?: Logger;
}

class Term implements LeaseTerm {
  ended = false;
  constructor(
    readonly lease: string,
    readonly token: number,
    /** Local monotonic time after which this replica must not act on the term. */
    public deadline: number,
    private readonly keeper: LeaseKeeper,
  ) {}
  get active(): boolean {
    return !this.ended && this.keeper.now() < this.deadline;
  }
  get(key: string): Promise<string | undefined> {
    return this.keeper.driver.get(this.lease, key);
  }
  set(key: string, value: string): Promise<void> {
    return this.keeper.fencedSet(this, key, value);
  }
  async check(): Promise<void> {
    const ok = await this.keeper.driver.isCurrent(this.lease, this.keeper.holder, this.token);
    if (!ok) throw new LeaseLostError(this.lease, this.token);
  }
}

type State = "idle" | "standby" | "held" | "stopped";

export class LeaseKeeper implements Lease {
  readonly name: string;
  readonly holder: string;
  readonly driver: CoordinationDriver;
  readonly transitions = { gained: 0, lost: 0 };
  private readonly t: LeaseTimings;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly gainedListeners: ((term: LeaseTerm) => void)[] = [];
  private readonly lostListeners: ((term: LeaseTerm, reason: string) => void)[] = [];
  private state: State = "idle";
  private term: Term | undefined;
  private timer: unknown;
  private deadlineTimer: unknown;
  private failures = 0;

  constructor(options: LeaseKeeperOptions) {
    this.name = options.name;
    this.holder = options.holder;
    this.driver = options.driver;
    this.t = options.timings;
    this.clock = options.clock ?? monotonicClock;
    this.logger = options.logger ?? silentLogger;
  }

  now(): number {
    return this.clock.now();
  }

  get held(): boolean {
    return this.state === "held" && this.clock.now() < this.term!.deadline;
  }

  get token(): number | undefined {
    return this.held ? this.term!.token : undefined;
  }

  onGained(listener: (term: LeaseTerm) => void): void {
    this.gainedListeners.push(listener);
  }

  onLost(listener: (term: LeaseTerm, reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  health(): CoordinationHealth {
    return this.driver.health();
  }

  start(): void {
    if (this.state !== "idle") return;
    this.state = "standby";
    this.schedule(() => this.acquire(), 0);
  }

  /** The engine connection dropped: a lost connection is a lost lease. */
  connectionLost(reason: string): void {
    if (this.state === "held") this.lose(`connection to the coordination engine lost: ${reason}`);
  }

  async release(term: LeaseTerm): Promise<void> {
    if (this.term === term && this.state === "held") this.lose("released");
    await this.driver.release(this.name, this.holder, term.token).catch((error: unknown) => {
      this.logger.debug({ lease: this.name, err: messageOf(error) }, "lease release failed");
    });
  }

  async stop(): Promise<void> {
    const term = this.state === "held" ? this.term : undefined;
    if (term) this.lose("stopping");
    this.state = "stopped";
    this.clock.clearTimeout(this.timer);
    if (term) await this.release(term);
  }

  async fencedSet(term: Term, key: string, value: string): Promise<void> {
    // The engine refuses a stale token, so retrying a failed request is always safe.
    const giveUpAt = this.clock.now() + this.t.leaseMs;
    for (;;) {
      try {
        const ok = await this.driver.fencedSet(this.name, this.holder, term.token, key, value);
        if (!ok) throw new LeaseLostError(this.name, term.token);
        return;
      } catch (error) {
        if (error instanceof LeaseLostError || this.clock.now() >= giveUpAt) throw error;
        await new Promise((r) => this.clock.setTimeout(() => r(undefined), this.t.retryEveryMs));
      }
    }
  }

  private schedule(fn: () => Promise<void>, ms: number): void {
    this.clock.clearTimeout(this.timer);
    if (this.state === "stopped") return;
    this.timer = this.clock.setTimeout(() => void fn(), Math.max(0, ms));
  }

  private async acquire(): Promise<void> {
    if (this.state !== "standby") return;
    const sentAt = this.clock.now();
    let result: Awaited<ReturnType<CoordinationDriver["tryAcquire"]>>;
    try {
      result = await this.withTimeout(
        this.driver.tryAcquire(this.name, this.holder, this.t.ttlMs),
        this.t.renewEveryMs,
      );
    } catch (error) {
      this.failures++;
      this.logger.debug({ lease: this.name, err: messageOf(error) }, "lease acquisition failed");
      this.schedule(() => this.acquire(), Math.min(250 * 2 ** this.failures, 5000));
      return;
    }
    this.failures = 0;
    if ("token" in result) {
      const deadline = sentAt + this.t.ttlMs - this.t.marginMs;
      if (this.state !== "standby" || this.clock.now() >= deadline) {
        // Stopped meanwhile, or the answer came too late to act on: give it back.
        await this.driver.release(this.name, this.holder, result.token).catch(() => undefined);
        this.schedule(() => this.acquire(), this.t.renewEveryMs);
        return;
      }
      this.gain(result.token, deadline, sentAt);
      return;
    }
    // Try again when the holder's lease would run out, and at least every renewal period.
    const jitter = Math.random() * 25;
    this.schedule(
      () => this.acquire(),
      Math.min(this.t.renewEveryMs, Math.max(10, result.heldForMs + 5)) + jitter,
    );
  }

  private gain(token: number, deadline: number, sentAt: number): void {
    const term = new Term(this.name, token, deadline, this);
    this.term = term;
    this.state = "held";
    this.transitions.gained++;
    this.armDeadline(term);
    this.schedule(() => this.renew(), sentAt + this.t.renewEveryMs - this.clock.now());
    this.logger.info({ lease: this.name, fencingToken: token }, "lease gained: this replica acts");
    for (const l of this.gainedListeners) l(term);
  }

  private armDeadline(term: Term): void {
    this.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = this.clock.setTimeout(
      () => {
        if (this.term === term && this.state === "held")
          this.lose("could not renew the lease in time");
      },
      Math.max(0, term.deadline - this.clock.now()),
    );
  }

  private async renew(): Promise<void> {
    const term = this.term;
    if (this.state !== "held" || !term) return;
    const sentAt = this.clock.now();
    let ok: boolean;
    try {
      ok = await this.withTimeout(
        this.driver.renew(this.name, this.holder, term.token, this.t.ttlMs),
        Math.min(this.t.renewEveryMs, term.deadline - sentAt),
      );
    } catch (error) {
      if (this.term !== term || this.state !== "held") return;
      this.logger.warn(
        {
          lease: this.name,
          err: messageOf(error),
          actsForMs: Math.round(term.deadline - this.clock.now()),
        },
        "lease renewal failed; retrying until the deadline",
      );
      this.schedule(() => this.renew(), this.t.retryEveryMs);
      return;
    }
    if (this.term !== term || this.state !== "held") return;
    if (!ok) {
      this.lose("the lease was taken over or expired in the coordination engine");
      return;
    }
    term.deadline = sentAt + this.t.ttlMs - this.t.marginMs;
    this.armDeadline(term);
    this.schedule(() => this.renew(), sentAt + this.t.renewEveryMs - this.clock.now());
  }

  private lose(reason: string): void {
    const term = this.term!;
    term.ended = true;
    this.state = "standby";
    this.transitions.lost++;
    this.clock.clearTimeout(this.deadlineTimer);
    this.clock.clearTimeout(this.timer);
    if (reason === "stopping" || reason === "released")
      this.logger.info({ lease: this.name, fencingToken: term.token, reason }, "lease given up");
    else
      this.logger.warn(
        { lease: this.name, fencingToken: term.token, reason },
        "lease lost: this replica stops acting",
      );
    for (const l of this.lostListeners) l(term, reason);
    this.schedule(() => this.acquire(), this.t.retryEveryMs);
  }

  private withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    let handle: unknown;
    const timeout = new Promise<never>((_, reject) => {
      handle = this.clock.setTimeout(
        () =>
          reject(new Error(`no answer from ${this.driver.location} within ${Math.round(ms)} ms`)),
        Math.max(0, ms),
      );
    });
    return Promise.race([promise, timeout]).finally(() => this.clock.clearTimeout(handle));
  }
}
