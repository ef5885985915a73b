import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  PayloadFormat,
  RecordOutcome,
  SourceRecord,
} from "@fgconnect/core";
import { type MisfirePolicy, missedTicks } from "./misfire.js";
import type { ResolvedCronOptions } from "./options.js";
import { type TimerEvent, timerEvent } from "./payload.js";
import { parseSchedule, type Schedule } from "./schedule.js";
import { type CronState, type CronStateStore, fileStateStore } from "./state.js";

/** A tick, as the engine sees it: its body is the timer event. */
export interface CronRecord extends SourceRecord {
  readonly body: TimerEvent & Record<string, string>;
}

// setTimeout takes at most a signed 32-bit delay; longer waits are re-armed.
const MAX_TIMER_MS = 2_147_483_647;
// A tick this late when its timer fires counts as missed (the process stalled), not on time.
const ON_TIME_GRACE_MS = 1000;

interface Job {
  name: string;
  schedule: Schedule;
  timezone: string;
  userEvent: string;
  misfire: MisfirePolicy;
  allowOverlap: boolean;
  timer?: NodeJS.Timeout;
  /** The latest tick already fired, deferred or deliberately skipped; the next fire is after it. */
  cursor: Date;
  inFlight: number;
  /** The latest tick handed to the engine. */
  lastPushed?: Date;
  /**
   * With fire-all and no overlap, ticks in (lastPushed, cursor] came due while earlier ones were
   * being delivered: they fire once those settle. Kept as this range, not as a list, so a function
   * slower than its schedule costs no memory; the schedule gives the ticks back, the latest
   * `maxMissed` of them, like any other missed ticks.
   */
  deferred: boolean;
}

const timerFormat: PayloadFormat<CronRecord> = {
  description:
    "FunctionGraph's timer-trigger event; a batch of several ticks becomes an array of them.",
  build(records) {
    return records.length === 1 ? records[0]!.body : records.map((r) => r.body);
  },
};

export class CronConnector implements Connector<CronRecord> {
  readonly type = "cron";
  readonly formats = { timer: timerFormat };
  readonly defaultFormat = "timer";
  private readonly jobs: Job[] = [];
  private ctx?: ConnectorContext<CronRecord>;
  private state: CronState = { lastFire: {} };
  private saving: Promise<void> = Promise.resolve();
  /** The state file could not be written last time (logged once, until it can again). */
  private saveFailing = false;
  private paused = false;
  private stopped = false;
  private started = false;

  constructor(
    readonly name: string,
    private readonly options: ResolvedCronOptions,
    private readonly now: () => number = Date.now,
    private readonly stateStore: CronStateStore = fileStateStore(options.stateFile),
  ) {}

  async start(ctx: ConnectorContext<CronRecord>): Promise<void> {
    this.ctx = ctx;
    this.state = await this.stateStore.load();
    const now = new Date(this.now());
    for (const s of this.options.schedules) {
      const last = this.state.lastFire[s.name];
      const lastFire = last ? new Date(last) : undefined;
      const job: Job = {
        name: s.name,
        // Interval schedules keep their phase from the last fire across restarts.
        schedule: parseSchedule(s.schedule, s.timezone, lastFire?.getTime() ?? now.getTime()),
        timezone: s.timezone,
        userEvent: s.userEvent,
        misfire: s.misfire ?? this.options.misfire,
        allowOverlap: s.allowOverlap ?? this.options.allowOverlap,
        cursor: now,
        inFlight: 0,
        deferred: false,
      };
      this.jobs.push(job);
      if (lastFire) this.catchUp(job, lastFire, now);
      this.arm(job);
    }
    this.started = true;
    ctx.logger.info(
      { connector: this.name, schedules: this.jobs.length },
      "cron connector started",
    );
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // Ticks that came due while paused are missed ticks: the misfire policy decides.
    const now = new Date(this.now());
    for (const job of this.jobs) {
      this.catchUp(job, this.firedUpTo(job), now);
      this.arm(job);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs) clearTimeout(job.timer);
    await this.saving;
  }

  health(): ConnectorHealth {
    return this.started
      ? { connected: true, detail: `${this.jobs.length} schedule(s)` }
      : { connected: false, detail: "not started" };
  }

  /** When each schedule fires next (for status output and tests). */
  nextFires(): Record<string, Date | null> {
    return Object.fromEntries(this.jobs.map((j) => [j.name, j.schedule.next(j.cursor)]));
  }

  /** The tick after which nothing has been handed to the engine yet (deferred ticks included). */
  private firedUpTo(job: Job): Date {
    return job.deferred && job.lastPushed ? job.lastPushed : job.cursor;
  }

  private catchUp(job: Job, lastFire: Date, now: Date): void {
    job.deferred = false;
    const missed = missedTicks(job.schedule, lastFire, now, job.misfire, this.options.maxMissed);
    if (missed.length > 0) {
      this.ctx?.logger.warn(
        { connector: this.name, schedule: job.name, firing: missed.length, policy: job.misfire },
        "firing missed ticks",
      );
    }
    // Missed ticks go out together; their shared ordering key still delivers them one by one.
    for (const tick of missed) this.fire(job, tick, true);
    job.cursor = now;
  }

  private arm(job: Job): void {
    clearTimeout(job.timer);
    if (this.stopped || this.paused) return;
    const next = job.schedule.next(job.cursor);
    if (next === null) return;
    const delay = Math.max(0, next.getTime() - this.now());
    job.timer = setTimeout(() => this.onTimer(job, next), Math.min(delay, MAX_TIMER_MS));
  }

  private onTimer(job: Job, due: Date): void {
    if (this.stopped || this.paused) return;
    const now = new Date(this.now());
    if (due.getTime() > now.getTime()) {
      // A long wait re-armed in steps, or the timer fired a hair early.
      this.arm(job);
      return;
    }
    // `due` is the first tick after the cursor, so a timer on time has missed nothing; one
    // that fires late (the process stalled) leaves the ticks since the cursor to the policy.
    if (now.getTime() - due.getTime() <= ON_TIME_GRACE_MS) {
      this.fire(job, due);
      job.cursor = due;
    } else {
      this.catchUp(job, this.firedUpTo(job), now);
    }
    // Computing the next time is the costly part: let every timer due now fire first.
    setImmediate(() => this.arm(job));
  }

  private fire(job: Job, scheduledAt: Date, catchingUp = false): void {
    if (!job.allowOverlap && !catchingUp && (job.inFlight > 0 || job.deferred)) {
      if (job.misfire === "fire-all") {
        // Every tick fires under fire-all: this one waits for the ticks being delivered.
        job.deferred = true;
        this.ctx?.logger.debug(
          { connector: this.name, schedule: job.name, scheduledAt: scheduledAt.toISOString() },
          "tick deferred: the previous tick is still being delivered",
        );
        return;
      }
      this.ctx?.logger.warn(
        { connector: this.name, schedule: job.name, scheduledAt: scheduledAt.toISOString() },
        "tick skipped: the previous tick is still being delivered (allowOverlap is false)",
      );
      return;
    }
    const body = timerEvent({
      schedule: job.name,
      scheduledAt,
      timezone: job.timezone,
      userEvent: job.userEvent,
    });
    const record: CronRecord = {
      id: `${this.name}/${job.name}/${scheduledAt.toISOString()}`,
      source: this.name,
      attributes: {
        schedule: job.name,
        scheduledAt: scheduledAt.toISOString(),
        timezone: job.timezone,
      },
      body: body as CronRecord["body"],
      ...(job.allowOverlap ? {} : { orderingKey: job.name }),
      timestamp: scheduledAt.getTime(),
      size: JSON.stringify(body).length,
    };
    job.inFlight++;
    job.lastPushed = scheduledAt;
    void this.ctx!.push(record).then((outcome) => this.settled(job, scheduledAt, outcome));
  }

  /** Fires the ticks that came due while earlier ones were delivered, oldest first. */
  private fireDeferred(job: Job): void {
    if (this.stopped || this.paused) return;
    job.deferred = false;
    const since = job.lastPushed!.getTime();
    // One more than the bound tells whether older ticks had to be dropped.
    const due = job.schedule
      .previous(this.options.maxMissed + 1, job.cursor)
      .filter((t) => t.getTime() > since);
    if (due.length > this.options.maxMissed) {
      due.shift();
      this.ctx?.logger.warn(
        { connector: this.name, schedule: job.name, maxMissed: this.options.maxMissed },
        "more than maxMissed ticks came due while earlier ones were delivered (the function is slower than the schedule); the oldest are dropped",
      );
    }
    for (const tick of due) this.fire(job, tick, true);
  }

  private settled(job: Job, scheduledAt: Date, outcome: RecordOutcome): void {
    job.inFlight--;
    if (outcome === "abandoned") return;
    if (job.inFlight === 0 && job.deferred) this.fireDeferred(job);
    const previous = this.state.lastFire[job.name];
    if (previous && new Date(previous).getTime() >= scheduledAt.getTime()) return;
    this.state.lastFire[job.name] = scheduledAt.toISOString();
    // Writes are chained so the file only ever moves forward.
    this.saving = this.saving
      .then(() => this.stateStore.save(this.state))
      .then(
        () => {
          if (!this.saveFailing) return;
          this.saveFailing = false;
          this.ctx?.logger.info(
            { connector: this.name, state: this.stateStore.location },
            "cron state file written again",
          );
        },
        (err: unknown) => {
          // A full disk or a read-only volume: one warn line until it clears, not one per tick.
          if (this.saveFailing) return;
          this.saveFailing = true;
          this.ctx?.logger.warn(
            {
              connector: this.name,
              state: this.stateStore.location,
              err: err instanceof Error ? err.message : String(err),
              hint: "Make stateFile's directory writable; until then a restart may fire ticks already delivered again.",
            },
            "could not save the cron state file; ticks are still delivered",
          );
        },
      );
  }
}
