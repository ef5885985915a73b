import { z } from "zod";
import { assertTimezone, parseSchedule } from "./schedule.js";

const scheduleSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, "use 1-64 letters, digits, '.', '_' or '-'")
      .describe("Unique name; sent as the timer event's trigger_name and used in the state file."),
    schedule: z
      .string()
      .describe(
        "5-field cron (min hour dom month dow), 6-field cron with seconds first, `@every 2h30m`, or a rate such as `3m`, `1h`, `1d`.",
      ),
    timezone: z
      .string()
      .default("UTC")
      .describe("IANA time zone the cron expression is read in, e.g. Asia/Shanghai."),
    userEvent: z
      .string()
      .default("")
      .describe("The timer event's user_event: the additional information the function receives."),
    misfire: z
      .enum(["skip", "fire-once", "fire-all"])
      .optional()
      .describe("Overrides the connector's misfire policy for this schedule."),
    allowOverlap: z
      .boolean()
      .optional()
      .describe("Overrides the connector's allowOverlap for this schedule."),
  })
  .strict()
  .superRefine((s, ctx) => {
    try {
      assertTimezone(s.timezone);
    } catch (err) {
      ctx.addIssue({ code: "custom", path: ["timezone"], message: (err as Error).message });
      return;
    }
    try {
      parseSchedule(s.schedule, s.timezone);
    } catch (err) {
      ctx.addIssue({ code: "custom", path: ["schedule"], message: (err as Error).message });
    }
  });

/** The one schema of the cron connector's options: validation, defaults, JSON Schema, docs. */
export const cronOptionsSchema = z
  .object({
    schedules: z
      .array(scheduleSchema)
      .min(1)
      .describe("The schedules this connector fires.")
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((s, i) => {
          if (seen.has(s.name)) {
            ctx.addIssue({
              code: "custom",
              path: [i, "name"],
              message: `duplicate schedule name "${s.name}"`,
            });
          }
          seen.add(s.name);
        });
      }),
    misfire: z
      .enum(["skip", "fire-once", "fire-all"])
      .default("fire-once")
      .describe(
        "What to do with ticks missed while the daemon was down or stalled: skip them, fire the latest once, or fire each (up to maxMissed).",
      ),
    maxMissed: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe(
        "With misfire fire-all, the most missed ticks fired per schedule (the latest ones), after downtime or while earlier ticks were being delivered.",
      ),
    allowOverlap: z
      .boolean()
      .default(false)
      .describe(
        "Allow a tick to be delivered while the schedule's previous tick is still in flight. When false such a tick is skipped, except under misfire fire-all, where it waits and fires after the ticks in flight (the latest maxMissed of those waiting).",
      ),
    stateFile: z
      .string()
      .default(".fgconnect/cron-state.json")
      .describe(
        "Where the last delivered tick of each schedule is kept, so a restart knows what it missed.",
      ),
  })
  .strict();

export type CronOptions = z.input<typeof cronOptionsSchema>;
export type ResolvedCronOptions = z.output<typeof cronOptionsSchema>;
