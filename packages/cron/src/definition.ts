import { defineConnector, reviveRecord } from "@fgconnect/core";
import { cronOptionsSchema } from "./options.js";
import { CronConnector } from "./source.js";

/** The `cron` connector type: its options, docs and factory in one place. */
export const cronConnector = defineConnector({
  type: "cron",
  summary:
    "Fires schedules (cron with seconds and time zones, @every, rates) as FunctionGraph timer-trigger events.",
  options: cronOptionsSchema,
  examples: [
    {
      title: "A nightly job and a heartbeat",
      yaml: `misfire: fire-once
schedules:
  - name: nightly
    schedule: "0 30 2 * * *"
    timezone: Asia/Shanghai
    userEvent: rebuild the report
  - name: heartbeat
    schedule: "@every 2h30m"`,
    },
  ],
  create: (name, options) => new CronConnector(name, options),
  // Its records are whole in a dead letter (a JSON body and plain attributes): replayable as is.
  deadLetters: { revive: reviveRecord },
});
