import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/config/errors.js";
import { parseConfig } from "../src/config/load.js";
import type { Config } from "../src/config/schema.js";
import { diffConfig } from "../src/config-diff.js";
import type { AppliedReload, Daemon } from "../src/daemon.js";
import { createReloader } from "../src/reload.js";

const P = "0123456789abcdef0123456789abcdef";
const config = (to: string, port = 9464) =>
  parseConfig(
    JSON.stringify({
      functiongraph: { region: "cn-north-4", projectId: P },
      connectors: { ticks: { type: "cron", schedules: [{ name: "s", schedule: "* * * * * *" }] } },
      routes: [{ name: "t", from: "ticks", to: [to], mode: "sync" }],
      admin: { port },
    }),
    "fgconnect.json",
    {},
  );

/** A daemon that records what it was told to apply, each reload taking `ms`. */
function fakeDaemon(start: Config, ms = 0) {
  const applied: Config[] = [];
  let current = start;
  const daemon = {
    metrics: new Registry(),
    get config() {
      return current;
    },
    async reload(next: Config): Promise<AppliedReload> {
      await new Promise((r) => setTimeout(r, ms));
      const diff = diffConfig(current, next);
      const unchanged = diff.routes.changed.length === 0;
      if (!unchanged) applied.push(next);
      current = next;
      return { diff, unchanged, failed: [], abandoned: 0 };
    },
  } as unknown as Daemon;
  return { daemon, applied };
}

function logLines() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

async function counts(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric("fgconnect_config_reloads_total")!.get();
  return Object.fromEntries(metric.values.map((v) => [v.labels.result, v.value]));
}

describe("the reloader", () => {
  it("applies a changed config, counts each result, and refuses an invalid one with its problems", async () => {
    const { daemon, applied } = fakeDaemon(config("a"));
    const { logger, lines } = logLines();
    let next: () => Config = () => config("b");
    const reloader = createReloader({ daemon, logger, read: async () => next() });
    expect(await reloader.reload("SIGHUP")).toBe("applied");
    expect(applied.map((c) => c.routes[0]!.to)).toEqual([["b"]]);
    expect(lines.at(-1)).toMatchObject({
      msg: "config reloaded",
      trigger: "SIGHUP",
      routesChanged: ["t"],
    });
    expect(await reloader.reload("SIGHUP")).toBe("unchanged");

    next = () => {
      throw new ConfigError("fgconnect.yaml", [
        { path: ["routes", 0, "from"], line: 4, message: 'no connector named "x"' },
      ]);
    };
    expect(await reloader.reload("watch")).toBe("refused");
    expect(lines.at(-1)).toMatchObject({
      level: 50,
      msg: "config reload refused: the running config stays",
      problems:
        'fgconnect.yaml: 1 problem in the config\n  fgconnect.yaml:4 routes[0].from: no connector named "x"',
    });
    next = () => config("b", 9500);
    expect(await reloader.reload("SIGHUP")).toBe("partial");
    expect(lines.at(-1)).toMatchObject({ level: 40, sections: ["admin"] });
    expect(await counts(daemon.metrics)).toEqual({
      applied: 1,
      partial: 1,
      unchanged: 1,
      refused: 1,
      failed: 0,
    });
  });

  it("folds the triggers that come during a reload into one more reload after it", async () => {
    const { daemon, applied } = fakeDaemon(config("a"), 50);
    const { logger } = logLines();
    let target = "b";
    let reads = 0;
    const reloader = createReloader({
      daemon,
      logger,
      read: async () => {
        reads += 1;
        return config(target);
      },
    });
    const first = reloader.reload("SIGHUP");
    target = "c";
    const second = reloader.reload("watch");
    const third = reloader.reload("SIGHUP");
    expect(await Promise.all([first, second, third])).toEqual(["applied", "applied", "applied"]);
    expect(reads).toBe(2);
    expect(applied.map((c) => c.routes[0]!.to[0])).toEqual(["b", "c"]);
  });
});
