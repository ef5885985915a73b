import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Connector,
  type ConnectorContext,
  createClient,
  createEngine,
  type FunctionGraphClient,
  type RecordOutcome,
  type RouteInput,
  type SourceRecord,
} from "@fgconnect/core";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The engine against the emulator over real HTTP: 300 records in batches of 50, 30 of them
// poison. Bisect on error and partial batch results each dead-letter exactly the 30.

let emu: Emulator;
let client: FunctionGraphClient;

interface Event {
  records: { id: string; body: string }[];
}
const isBad = (r: { body: string }) => r.body.startsWith("bad");

beforeAll(async () => {
  emu = await startEmulator({
    log: false,
    auth: false,
    functions: {
      // Fails the whole invocation when one record of the batch is bad.
      strict: async (event: Event) => {
        const bad = event.records.find(isBad);
        if (bad) throw new Error(`cannot handle ${bad.id}`);
        return { handled: event.records.length };
      },
      // Handles what it can and names the records it could not.
      partial: async (event: Event) => ({
        batchItemFailures: event.records.filter(isBad).map((r) => ({ itemIdentifier: r.id })),
      }),
    },
  });
  client = createClient({ endpoint: emu.url, projectId: emu.projectId, region: emu.region });
});
afterAll(async () => {
  await client?.close();
  await emu?.close();
});

/** A source of 300 records (every tenth bad) that keeps each outcome, as a real one acks. */
class ListSource implements Connector {
  readonly type = "list";
  readonly defaultFormat = "records";
  readonly formats = {
    records: {
      description: "{records: [{id, body}]}",
      build: (records: readonly SourceRecord[]) => ({
        records: records.map((r) => ({ id: r.id, body: String(r.body) })),
      }),
    },
  };
  readonly outcomes: Promise<RecordOutcome>[] = [];
  constructor(readonly name: string) {}
  async start(ctx: ConnectorContext): Promise<void> {
    for (let i = 0; i < 300; i += 1) {
      const body = i % 10 === 7 ? `bad-${i}` : `good-${i}`;
      this.outcomes.push(
        ctx.push({
          id: `${this.name}/${i}`,
          source: this.name,
          attributes: {},
          body,
          orderingKey: `p${i % 3}`,
          timestamp: Date.now(),
          size: body.length,
        }),
      );
    }
  }
  pause(): void {}
  resume(): void {}
  async stop(): Promise<void> {}
  health() {
    return { connected: true };
  }
}

async function run(fn: string, batch: RouteInput["batch"]) {
  const dir = mkdtempSync(join(tmpdir(), "fgconnect-engine-"));
  const path = join(dir, "dead-letter.jsonl");
  const source = new ListSource(fn);
  const engine = createEngine({
    invoker: client,
    connectors: [source],
    routes: [
      {
        from: fn,
        to: [fn],
        mode: "sync",
        batch: { maxRecords: 50, maxWaitMs: 20, ...batch },
        delivery: { maxAttempts: 2, firstDelayMs: 10, maxDelayMs: 50 },
      },
    ],
    deadLetter: { type: "file", path, fsync: false },
  });
  await engine.start();
  const outcomes = await Promise.all(source.outcomes);
  await engine.stop();
  const dead = readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { record: { id: string; body: string }; reason: string });
  return { outcomes, dead };
}

const expectedDead = Array.from({ length: 30 }, (_, i) => `bad-${i * 10 + 7}`);

describe("poison records in batches, delivered through the emulator", () => {
  it("bisect on error dead-letters exactly the 30 bad records of 300", async () => {
    const { outcomes, dead } = await run("strict", { reportBatchItemFailures: false });
    expect(dead.map((d) => d.record.body).sort()).toEqual([...expectedDead].sort());
    expect(outcomes.filter((o) => o === "delivered")).toHaveLength(270);
    expect(outcomes.filter((o) => o === "dead-lettered")).toHaveLength(30);
  });

  it("partial batch results dead-letter exactly the 30 records the function names", async () => {
    const before = emu.invocations.length;
    const { outcomes, dead } = await run("partial", { bisectOnError: false });
    expect(dead.map((d) => d.record.body).sort()).toEqual([...expectedDead].sort());
    expect(dead.every((d) => d.reason === "retries exhausted")).toBe(true);
    expect(outcomes.filter((o) => o === "delivered")).toHaveLength(270);
    // Each good record was sent once: only the named ones were retried.
    const sent = emu.invocations
      .slice(before)
      .flatMap((i) => (i.payload as Event).records)
      .filter((r) => !isBad(r));
    expect(sent).toHaveLength(270);
  });
});
