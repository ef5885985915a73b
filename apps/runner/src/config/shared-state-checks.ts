import { type Raw, type Report, rawObject } from "./raw.js";
import type { Config } from "./schema.js";

/**
 * With replicas, state that only one machine can see would split them: refused. A cron
 * `stateFile` is refused whenever it is written, even with its default value (the parsed config
 * cannot tell that from an absent one, so the file as written is asked).
 */
export function checkSharedState(config: Config, raw: Raw, report: Report): void {
  if (!config.coordination) return;
  const written = rawObject(raw.connectors) ?? {};
  for (const [name, connector] of Object.entries(config.connectors)) {
    const c = connector as {
      type: string;
      stateFile?: string;
      mode?: string;
      checkpoint?: { store?: string };
    };
    if (c.type === "cron" && rawObject(written[name])?.stateFile !== undefined)
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
