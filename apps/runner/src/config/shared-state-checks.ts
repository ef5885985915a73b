import type { Report } from "./raw.js";
import type { Config } from "./schema.js";

const DEFAULT_CRON_STATE_FILE = ".fgconnect/cron-state.json";

/** With replicas, state that only one machine can see would split them: refused. */
export function checkSharedState(config: Config, report: Report): void {
  if (!config.coordination) return;
  for (const [name, connector] of Object.entries(config.connectors)) {
    const c = connector as {
      type: string;
      stateFile?: string;
      mode?: string;
      checkpoint?: { store?: string };
    };
    if (c.type === "cron" && c.stateFile !== DEFAULT_CRON_STATE_FILE)
      report(
        ["connectors", name, "stateFile"],
        "with coordination the cron state is kept in the coordination store, shared by the replicas; remove stateFile",
      );
    if (c.type === "s3" && c.mode === "poll" && c.checkpoint?.store === "file")
      report(
        ["connectors", name, "checkpoint", "store"],
        "with coordination a local checkpoint file is seen by one replica only; set checkpoint.store: bucket",
      );
  }
}
