import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { appliesNothing, diffConfig, inForce } from "../src/config-diff.js";

const P = "0123456789abcdef0123456789abcdef";
const base = {
  functiongraph: { region: "cn-north-4", projectId: P },
  connectors: {
    ticks: { type: "cron", schedules: [{ name: "s", schedule: "* * * * * *" }] },
    jobs: { type: "cron", schedules: [{ name: "j", schedule: "0 * * * * *" }] },
  },
  routes: [
    { name: "t", from: "ticks", to: ["hello"], mode: "sync" },
    { from: "jobs", to: ["hello"], mode: "async" },
  ],
  admin: { port: 9464 },
};
type Doc = typeof base & Record<string, unknown>;
const parse = (doc: object) => parseConfig(JSON.stringify(doc), "fgconnect.json", {});
const changed = (edit: (doc: Doc) => void) => {
  const doc = structuredClone(base) as Doc;
  edit(doc);
  return diffConfig(parse(base), parse(doc));
};

describe("diffConfig", () => {
  it("finds nothing to apply in the same config", () => {
    const diff = diffConfig(parse(base), parse(structuredClone(base)));
    expect(appliesNothing(diff)).toBe(true);
    expect(diff.restartRequired).toEqual([]);
  });

  it("names a route whose filter or policy changed, by its name or its default name", () => {
    const diff = changed((d) => {
      Object.assign(d.routes[0]!, { filter: { attributes: { schedule: ["s"] } } });
      Object.assign(d.routes[1]!, { delivery: { maxAttempts: 5 } });
    });
    expect(diff.routes).toEqual({ added: [], removed: [], changed: ["t", "jobs#1"] });
    expect(diff.connectors).toEqual({ added: [], removed: [], changed: [] });
    expect(appliesNothing(diff)).toBe(false);
  });

  it("names routes added and removed", () => {
    const diff = changed((d) => {
      d.routes[0] = { name: "t2", from: "ticks", to: ["hello"], mode: "sync" };
    });
    expect(diff.routes).toEqual({ added: ["t2"], removed: ["t"], changed: [] });
  });

  it("names a connector whose options changed, one added and one removed", () => {
    const diff = changed((d) => {
      d.connectors.ticks.schedules[0]!.schedule = "*/2 * * * * *";
      Object.assign(d.connectors, { more: d.connectors.jobs });
      delete (d.connectors as Record<string, unknown>).jobs;
      d.routes[1]!.from = "more";
    });
    expect(diff.connectors).toEqual({ added: ["more"], removed: ["jobs"], changed: ["ticks"] });
    expect(diff.routes.changed).toEqual([]);
    expect(diff.routes.added).toEqual(["more#1"]);
  });

  it("does not count a default written out as a change", () => {
    const diff = changed((d) => {
      Object.assign(d.routes[0]!, { batch: { maxRecords: 1 } });
    });
    expect(appliesNothing(diff)).toBe(true);
  });

  it("says which sections need a restart, and keeps them as in force", () => {
    const from = parse(base);
    const to = parse({
      ...base,
      admin: { port: 9500 },
      limits: { maxInFlight: 10 },
      shutdown: { deadlineMs: 1000 },
    });
    const diff = diffConfig(from, to);
    expect(diff.restartRequired).toEqual(["admin", "limits"]);
    expect(diff.shutdown).toBe(true);
    expect(appliesNothing(diff)).toBe(false);
    const now = inForce(from, to, diff);
    expect(now.admin.port).toBe(9464);
    expect(now.limits).toEqual(from.limits);
    expect(now.shutdown.deadlineMs).toBe(1000);
    // Reported again at the next reload: the restart is still owed.
    expect(diffConfig(now, to).restartRequired).toEqual(["admin", "limits"]);
  });

  it("needs a restart to add or drop an optional section", () => {
    const to = parse({ ...base, coordination: { type: "redis", url: "redis://127.0.0.1:6379" } });
    const diff = diffConfig(parse(base), to);
    expect(diff.restartRequired).toEqual(["coordination"]);
    expect(inForce(parse(base), to, diff)).not.toHaveProperty("coordination");
  });
});
