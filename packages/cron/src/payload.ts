import { formatInZone } from "./time.js";

/** FunctionGraph's timer-trigger event, so functions written for the native trigger run unchanged. */
export interface TimerEvent {
  version: "v1.0";
  time: string;
  trigger_type: "TIMER";
  trigger_name: string;
  user_event: string;
}

export interface Tick {
  /** The schedule's name, used as the trigger name. */
  schedule: string;
  /** The time the tick was due (not when it ran). */
  scheduledAt: Date;
  timezone: string;
  userEvent: string;
}

export function timerEvent(tick: Tick): TimerEvent {
  return {
    version: "v1.0",
    time: formatInZone(tick.scheduledAt, tick.timezone),
    trigger_type: "TIMER",
    trigger_name: tick.schedule,
    user_event: tick.userEvent,
  };
}
