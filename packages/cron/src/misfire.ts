import type { Schedule } from "./schedule.js";

export type MisfirePolicy = "skip" | "fire-once" | "fire-all";

/**
 * The ticks due in (lastFire, now] after downtime or a stall: `skip` fires none of them,
 * `fire-once` the latest, `fire-all` each of them, oldest first, bounded to the latest
 * `maxMissed`. Looks back from `now`, so a long outage costs no more than the bound.
 */
export function missedTicks(
  schedule: Schedule,
  lastFire: Date,
  now: Date,
  policy: MisfirePolicy,
  maxMissed: number,
): Date[] {
  if (policy === "skip") return [];
  const keep = policy === "fire-once" ? 1 : maxMissed;
  return schedule.previous(keep, now).filter((t) => t.getTime() > lastFire.getTime());
}
