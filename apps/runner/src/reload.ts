/**
 * Reloading the config of a running daemon (SIGHUP, or `run --watch`): read and validate the
 * file as `fgconnect validate` does, refuse it whole when it is invalid (the running config
 * stays), else apply what can change in place and say what needs a restart. One reload at a
 * time; triggers arriving meanwhile are folded into one more reload after it.
 */

import type { Logger } from "pino";
import { Counter } from "prom-client";
import { explain } from "./commands/shared.js";
import type { Config } from "./config/schema.js";
import type { ConfigDiff } from "./config-diff.js";
import type { Daemon } from "./daemon.js";

export type ReloadResult = "applied" | "partial" | "unchanged" | "refused" | "failed";

export interface Reloader {
  /** Reloads now, or once more after the reload under way; resolves with how it went. */
  reload(trigger: string): Promise<ReloadResult>;
}

export function createReloader(options: {
  daemon: Daemon;
  /** Reads and validates the config file; throws ConfigError as `validate` reports it. */
  read: () => Promise<Config>;
  logger: Logger;
}): Reloader {
  const { daemon, read, logger } = options;
  const reloads = new Counter({
    name: "fgconnect_config_reloads_total",
    help: "Config reloads (SIGHUP, --watch), by result: applied, partial (a restart is required for some sections), unchanged, refused (invalid config; nothing applied), failed (applied, but a connector did not start).",
    labelNames: ["result"],
    registers: [daemon.metrics],
  });
  for (const result of ["applied", "partial", "unchanged", "refused", "failed"])
    reloads.inc({ result }, 0);

  let running: Promise<ReloadResult> | undefined;
  let queued: Promise<ReloadResult> | undefined;

  async function once(trigger: string): Promise<ReloadResult> {
    const result = await attempt(trigger);
    reloads.inc({ result });
    return result;
  }

  async function attempt(trigger: string): Promise<ReloadResult> {
    let next: Config;
    try {
      next = await read();
    } catch (err) {
      logger.error(
        { trigger, problems: explain(err) },
        "config reload refused: the running config stays",
      );
      return "refused";
    }
    try {
      const applied = await daemon.reload(next);
      const { diff } = applied;
      if (applied.unchanged && diff.restartRequired.length === 0) {
        logger.info({ trigger }, "config reloaded: nothing changed");
        return "unchanged";
      }
      if (!applied.unchanged)
        logger.info({ trigger, ...changes(diff), abandoned: applied.abandoned }, "config reloaded");
      for (const { connector, error } of applied.failed)
        logger.warn({ connector, err: explain(error) }, "reload: connector failed to start");
      if (diff.restartRequired.length > 0) {
        logger.warn(
          { trigger, sections: diff.restartRequired },
          `config reload: restart required for ${diff.restartRequired.join(", ")}; the rest is applied`,
        );
        return "partial";
      }
      return applied.failed.length > 0 ? "failed" : "applied";
    } catch (err) {
      // The daemon checks everything before it changes anything: nothing was applied.
      logger.error(
        { trigger, problems: explain(err) },
        "config reload refused: the running config stays",
      );
      return "refused";
    }
  }

  return {
    reload(trigger) {
      if (!running) {
        running = once(trigger).finally(() => {
          running = undefined;
        });
        return running;
      }
      // Changes made while a reload runs may have been read too late: read once more after.
      queued ??= running.then(() => {
        queued = undefined;
        return this.reload(trigger);
      });
      return queued;
    },
  };
}

/** The log fields of what a reload changed: only the non-empty lists. */
function changes(diff: ConfigDiff): Record<string, string[] | boolean> {
  const out: Record<string, string[] | boolean> = {};
  for (const what of ["connectors", "routes"] as const)
    for (const how of ["added", "removed", "changed"] as const)
      if (diff[what][how].length > 0) out[`${what}${capital(how)}`] = diff[what][how];
  if (diff.shutdown) out.shutdownChanged = true;
  return out;
}

const capital = (s: string) => s[0]!.toUpperCase() + s.slice(1);
