import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ApiError } from "../../src/client/errors.js";
import type {
  Connector,
  ConnectorContext,
  RecordOutcome,
  SourceRecord,
} from "../../src/connector.js";
import { createEngine } from "../../src/engine/index.js";
import { FakeInvoker } from "./fakes.js";

/** A connector with its own record type, as a connector package would write it. */
interface QueueRecord extends SourceRecord {
  readonly offset: number;
}

class QueueConnector implements Connector<QueueRecord> {
  readonly name = "queue";
  readonly type = "queue";
  readonly defaultFormat = "native";
  readonly formats = {
    native: {
      description: "offsets and bodies",
      build: (records: readonly QueueRecord[]) => ({
        messages: records.map((r) => ({ offset: r.offset, body: r.body })),
      }),
    },
  };
  committed: number[] = [];
  abandoned: number[] = [];
  #ctx: ConnectorContext<QueueRecord> | undefined;
  async start(ctx: ConnectorContext<QueueRecord>) {
    this.#ctx = ctx;
  }
  pause() {}
  resume() {}
  async stop() {}
  health() {
    return { connected: true };
  }
  push(offset: number, body: string): Promise<RecordOutcome> {
    const r: QueueRecord = {
      id: `q/${offset}`,
      source: this.name,
      attributes: { queue: "jobs" },
      body,
      timestamp: Date.now(),
      size: body.length,
      offset,
    };
    return this.#ctx!.push(r).then((outcome) => {
      (outcome === "abandoned" ? this.abandoned : this.committed).push(offset);
      return outcome;
    });
  }
}

it("wires one typed connector and its routes in code, with a file dead-letter sink", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fgc-embed-"));
  try {
    const connector = new QueueConnector();
    const invoker = new FakeInvoker();
    invoker.behaviour = (call) => {
      if (call.urn === "missing") throw new ApiError(404, "FSS.1051", "gone", "rq", false, "h");
    };
    const engine = createEngine({
      invoker,
      connectors: [connector],
      routes: [
        { name: "jobs", from: "queue", to: ["worker"], mode: "async" },
        {
          name: "audit",
          from: "queue",
          filter: { body: [{ prefix: "audit" }] },
          to: ["missing"],
          mode: "sync",
        },
      ],
      deadLetter: { type: "file", path: join(dir, "dlq", "dead.jsonl") },
    });
    await engine.start();
    expect(await Promise.all([connector.push(1, "work"), connector.push(2, "audit me")])).toEqual([
      "delivered",
      "dead-lettered",
    ]);
    expect(invoker.calls.map((c) => [c.urn, c.payload])).toEqual([
      ["worker", { messages: [{ offset: 1, body: "work" }] }],
      ["worker", { messages: [{ offset: 2, body: "audit me" }] }],
      ["missing", { messages: [{ offset: 2, body: "audit me" }] }],
    ]);
    expect(await engine.stop()).toEqual({ drained: true, abandoned: 0 });
    expect(connector.committed.sort()).toEqual([1, 2]);
    const lines = (await readFile(join(dir, "dlq", "dead.jsonl"), "utf8")).trim().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { route: "audit", target: "missing", record: { id: "q/2", body: "audit me" } },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
