import type { Logger } from "@fgconnect/core";
import type { StatusBoard } from "./board.js";

/**
 * Every `everySeconds`, one info line of what happened since the last: records in and
 * delivered, failed attempts, dead-lettered, and the sources' lag. Returns the stop function.
 */
export function startSummary(board: StatusBoard, logger: Logger, everySeconds: number) {
  let last = board.stats.totals();
  const timer = setInterval(() => {
    const now = board.stats.totals();
    const lag = board.totalLag();
    logger.info(
      {
        periodSeconds: everySeconds,
        recordsIn: now.received - last.received,
        recordsOut: now.delivered - last.delivered,
        failures: now.failedAttempts - last.failedAttempts,
        deadLettered: now.deadLettered - last.deadLettered,
        ...(lag !== undefined ? { lag } : {}),
      },
      "summary",
    );
    last = now;
  }, everySeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
