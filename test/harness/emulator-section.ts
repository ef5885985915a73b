import type { Emulator } from "@fgconnect/emulator";

/** A daemon config's `functiongraph` section for an emulator that checks no credentials. */
export function functiongraphOf(emulator: Emulator) {
  return {
    endpoint: emulator.url,
    projectId: emulator.projectId,
    region: emulator.region,
    auth: { type: "none" },
  };
}
