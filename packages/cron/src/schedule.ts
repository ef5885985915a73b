import { Cron } from "croner";

/** When a schedule fires next. */
export interface Schedule {
  /** The expression as written. */
  readonly expression: string;
  /** The first fire time strictly after `after`, or null when it never fires again. */
  next(after: Date): Date | null;
  /** Up to `n` fire times at or before `at`, oldest first. */
  previous(n: number, at: Date): Date[];
  /** The interval of an `@every`/rate schedule; undefined for cron expressions. */
  readonly intervalMs?: number;
}

/** Thrown for an expression that is neither a cron expression nor an interval. */
export class InvalidScheduleError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`invalid schedule "${expression}": ${reason}`);
    this.name = "InvalidScheduleError";
  }
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// FunctionGraph's rate form: one number and a unit, e.g. 3m, 1h, 1d.
const RATE = /^(\d+)([mhd])$/;
// `@every 2h30m` (Go-duration style, as FunctionGraph accepts): units in descending order.
const EVERY = /^@every\s+((?:\d+[dhms])+)$/;

function parseEvery(spec: string, expression: string): number {
  let total = 0;
  for (const [, n, unit] of spec.matchAll(/(\d+)([dhms])/g)) {
    total += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  if (total < 1000) throw new InvalidScheduleError(expression, "the interval must be at least 1s");
  return total;
}

class IntervalSchedule implements Schedule {
  constructor(
    readonly expression: string,
    readonly intervalMs: number,
    /** The phase: fires happen at anchor + k * interval. */
    private readonly anchor: number,
  ) {}
  next(after: Date): Date {
    const elapsed = after.getTime() - this.anchor;
    const k = elapsed < 0 ? 0 : Math.floor(elapsed / this.intervalMs) + 1;
    return new Date(this.anchor + k * this.intervalMs);
  }
  previous(n: number, at: Date): Date[] {
    const elapsed = at.getTime() - this.anchor;
    if (elapsed < 0) return [];
    const last = Math.floor(elapsed / this.intervalMs);
    const out: Date[] = [];
    for (let k = Math.max(0, last - n + 1); k <= last; k++) {
      out.push(new Date(this.anchor + k * this.intervalMs));
    }
    return out;
  }
}

class CronSchedule implements Schedule {
  private readonly cron: Cron;
  constructor(
    readonly expression: string,
    timezone: string,
  ) {
    const fields = expression.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      throw new InvalidScheduleError(
        expression,
        `a cron expression has 5 fields (min hour dom month dow) or 6 (sec min hour dom month dow), this one has ${fields}`,
      );
    }
    try {
      // Paused: croner only computes times here; the source owns the timer.
      this.cron = new Cron(expression, { timezone, paused: true, mode: "5-or-6-parts" });
    } catch (err) {
      throw new InvalidScheduleError(expression, (err as Error).message);
    }
  }
  next(after: Date): Date | null {
    return this.cron.nextRun(after);
  }
  previous(n: number, at: Date): Date[] {
    // previousRuns excludes the reference itself, so look from just after it.
    return this.cron.previousRuns(n, new Date(at.getTime() + 1)).reverse();
  }
}

/** Throws InvalidScheduleError for an unknown IANA zone. */
export function assertTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw new InvalidScheduleError(
      timezone,
      `unknown time zone "${timezone}"; use an IANA name such as Asia/Shanghai or UTC`,
    );
  }
}

/**
 * Parses 5- or 6-field cron (seconds first when 6), `@every 2h30m`, or a rate (`3m`, `1h`, `1d`).
 * Interval schedules fire at `anchor + k * interval`; the anchor keeps their phase over restarts.
 */
export function parseSchedule(expression: string, timezone = "UTC", anchor = Date.now()): Schedule {
  assertTimezone(timezone);
  const text = expression.trim();
  const rate = RATE.exec(text);
  if (rate) {
    const ms = Number(rate[1]) * UNIT_MS[rate[2] as "m" | "h" | "d"];
    if (ms <= 0) throw new InvalidScheduleError(expression, "the rate must be greater than zero");
    return new IntervalSchedule(text, ms, anchor);
  }
  const every = EVERY.exec(text);
  if (every) return new IntervalSchedule(text, parseEvery(every[1]!, text), anchor);
  if (text.startsWith("@every")) {
    throw new InvalidScheduleError(
      expression,
      'write "@every" with a duration such as 90s, 5m or 2h30m',
    );
  }
  return new CronSchedule(text, timezone);
}
