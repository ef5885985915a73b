export { cronConnector } from "./definition.js";
export { type MisfirePolicy, missedTicks } from "./misfire.js";
export { type CronOptions, cronOptionsSchema, type ResolvedCronOptions } from "./options.js";
export { type Tick, type TimerEvent, timerEvent } from "./payload.js";
export { InvalidScheduleError, parseSchedule, type Schedule } from "./schedule.js";
export { CronConnector, type CronRecord } from "./source.js";
export { type CronState, type CronStateStore, fileStateStore } from "./state.js";

import { parseConnectorOptions } from "@fgconnect/core";
import { cronConnector } from "./definition.js";
import type { CronOptions } from "./options.js";
import { CronConnector } from "./source.js";

/** A cron connector named `name`, its options validated and defaulted by `cronOptionsSchema`. */
export function createCronConnector(name: string, options: CronOptions): CronConnector {
  return new CronConnector(name, parseConnectorOptions(cronConnector, name, options));
}
