import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectorContext, RecordOutcome } from "@fgconnect/core";
import { afterEach, describe, expect, it } from "vitest";
import { BucketNotFoundError, S3UnreachableError } from "../src/errors.js";
import { type S3Options, s3OptionsSchema } from "../src/options.js";
import { S3Connector, type S3Record } from "../src/source.js";
import { FakeBucket } from "./fake-bucket.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  msg?: string;
  [field: string]: unknown;
}

/** A logger that keeps every line. */
function captureLog() {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (obj: object, msg?: string): void => {
      lines.push({ ...(obj as Record<string, unknown>), level, msg });
    };
  return {
    lines,
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
    /** Lines above debug. */
    loud: () => lines.filter((l) => l.level !== "debug"),
  };
}

/** A fake engine: records pushes and settles them with `decide` (default: delivered). */
function fakeEngine(decide: (r: S3Record) => RecordOutcome | undefined = () => "delivered") {
  const pushed: S3Record[] = [];
  const held: { record: S3Record; settle: (o: RecordOutcome) => void }[] = [];
  const ctx: ConnectorContext<S3Record> = {
    logger: silent,
    push(record) {
      pushed.push(record);
      return new Promise<RecordOutcome>((resolve) => {
        const outcome = decide(record);
        if (outcome) resolve(outcome);
        else held.push({ record, settle: resolve });
      });
    },
  };
  return {
    ctx,
    pushed,
    held,
    keys: () => pushed.map((r) => `${r.attributes.change}:${r.attributes.key}`),
  };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const running: S3Connector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

function make(bucket: FakeBucket, options: Partial<S3Options> & { dir: string }) {
  const { dir, ...rest } = options;
  const c = new S3Connector(
    "files",
    s3OptionsSchema.parse({
      bucket: "bucket",
      checkpoint: { path: join(dir, "cp") },
      startup: { retryMaxMs: 100 },
      ...rest,
      poll: { intervalMs: 100, ...rest.poll },
    }),
    { bucket },
  );
  running.push(c);
  return c;
}
const tmp = () => mkdtempSync(join(tmpdir(), "fgconnect-s3-src-"));
/** Waits until the connector finished `n` more polls (the fake bucket counts listings). */
const polls = (bucket: FakeBucket, n: number) => {
  const target = bucket.listCalls + n;
  return waitFor(() => bucket.listCalls >= target);
};

describe("S3Connector polling", () => {
  it("delivers each object once and checkpoints it", async () => {
    const bucket = new FakeBucket();
    for (let i = 0; i < 7; i++) bucket.put(`in/${i}.txt`, `body ${i}`);
    bucket.put("other/x.txt", "x");
    const dir = tmp();
    const engine = fakeEngine();
    const c = make(bucket, { dir, prefix: "in/", poll: { pageSize: 3 } });
    await c.start(engine.ctx);
    await waitFor(() => engine.pushed.length === 7);
    await polls(bucket, 2);
    expect(engine.pushed).toHaveLength(7);
    const first = engine.pushed[0]!;
    expect(first.attributes).toMatchObject({ key: "in/0.txt", change: "created", size: 6 });
    expect((first.body as { s3: { object: { eTag: string } } }).s3.object.eTag).toBe(
      bucket.objects.get("in/0.txt")!.etag,
    );
    // Header, seven entries, end line.
    expect(readFileSync(join(dir, "cp"), "utf8").split("\n").filter(Boolean)).toHaveLength(9);
    expect(c.health().connected).toBe(true);
  });

  it("does not checkpoint abandoned records: a restarted connector delivers them, and only them", async () => {
    const bucket = new FakeBucket();
    for (let i = 0; i < 4; i++) bucket.put(`k${i}`, `v${i}`);
    const dir = tmp();
    const first = fakeEngine((r) =>
      r.attributes.key === "k1" || r.attributes.key === "k3" ? undefined : "delivered",
    );
    const c1 = make(bucket, { dir });
    await c1.start(first.ctx);
    await waitFor(() => first.held.length === 2);
    c1.pause();
    for (const h of first.held) h.settle("abandoned");
    await c1.stop();
    running.length = 0;

    const second = fakeEngine();
    const c2 = make(bucket, { dir });
    await c2.start(second.ctx);
    await waitFor(() => second.pushed.length === 2);
    await polls(bucket, 1);
    expect(second.keys().sort()).toEqual(["created:k1", "created:k3"]);
  });

  it("delivers an overwritten object again as a change, and a deletion when asked", async () => {
    const bucket = new FakeBucket();
    bucket.put("a", "1");
    bucket.put("b", "1");
    const engine = fakeEngine();
    const c = make(bucket, { dir: tmp(), poll: { deletions: true } });
    await c.start(engine.ctx);
    await waitFor(() => engine.pushed.length === 2);
    bucket.put("a", "2");
    bucket.objects.delete("b");
    await waitFor(() => engine.pushed.length === 4);
    expect(engine.keys().slice(2)).toEqual(["changed:a", "deleted:b"]);
    expect(engine.pushed[3]!.attributes.eventName).toBe("ObjectRemoved:Delete");
  });

  it("dead-lettered records advance the checkpoint too", async () => {
    const bucket = new FakeBucket();
    bucket.put("bad", "1");
    const engine = fakeEngine(() => "dead-lettered");
    const c = make(bucket, { dir: tmp() });
    await c.start(engine.ctx);
    await waitFor(() => engine.pushed.length === 1);
    await polls(bucket, 2);
    expect(engine.pushed).toHaveLength(1);
  });

  it("spreads a large backlog over several polls of at most maxObjectsPerPoll events", async () => {
    const bucket = new FakeBucket();
    for (let i = 0; i < 25; i++) bucket.put(`k${String(i).padStart(2, "0")}`, "v");
    let inFlight = 0;
    let maxSeen = 0;
    const engine = fakeEngine(() => undefined);
    const c = make(bucket, { dir: tmp(), poll: { maxObjectsPerPoll: 10, intervalMs: 60_000 } });
    await c.start(engine.ctx);
    // Settle in rounds: a poll pushes at most 10 before its outcomes come back.
    while (engine.pushed.length < 25) {
      await waitFor(() => engine.held.length > 0);
      await new Promise((r) => setTimeout(r, 20));
      inFlight = engine.held.length;
      maxSeen = Math.max(maxSeen, inFlight);
      for (const h of engine.held.splice(0)) h.settle("delivered");
    }
    expect(maxSeen).toBe(10);
    expect(new Set(engine.keys()).size).toBe(25);
  });

  it("stops pushing while paused", async () => {
    const bucket = new FakeBucket();
    bucket.put("a", "1");
    const engine = fakeEngine();
    const c = make(bucket, { dir: tmp() });
    c.pause();
    await c.start(engine.ctx);
    await new Promise((r) => setTimeout(r, 150));
    expect(engine.pushed).toHaveLength(0);
    c.resume();
    await waitFor(() => engine.pushed.length === 1);
  });

  it("moves a delivered object, and neither redelivers it nor reports it deleted", async () => {
    const bucket = new FakeBucket();
    bucket.put("in/a.csv", "1");
    const engine = fakeEngine();
    const c = make(bucket, {
      dir: tmp(),
      prefix: "in/",
      poll: { deletions: true },
      afterDelivery: { action: "move", movePrefix: "done/" },
    });
    await c.start(engine.ctx);
    await waitFor(() => bucket.objects.has("done/a.csv"));
    await polls(bucket, 2);
    expect(bucket.objects.has("in/a.csv")).toBe(false);
    expect(engine.keys()).toEqual(["created:in/a.csv"]);
  });

  it("inlines small objects' content", async () => {
    const bucket = new FakeBucket();
    bucket.put("small.json", '{"x":1}', "application/json");
    bucket.put("big.bin", Buffer.alloc(100));
    const engine = fakeEngine();
    const c = make(bucket, { dir: tmp(), content: { inline: true, maxBytes: 50 } });
    await c.start(engine.ctx);
    await waitFor(() => engine.pushed.length === 2);
    const objects = engine.pushed.map(
      (r) => (r.body as { s3: { object: Record<string, unknown> } }).s3.object,
    );
    expect(objects.find((o) => o.key === "small.json")).toMatchObject({
      content: '{"x":1}',
      contentEncoding: "utf8",
      contentType: "application/json",
    });
    expect(objects.find((o) => o.key === "big.bin")).not.toHaveProperty("content");
  });
});

describe("S3Connector event keys", () => {
  it("writes a polled key URL-encoded in the event, as the webhook does, and keeps it raw in the attributes", async () => {
    const bucket = new FakeBucket();
    bucket.put("in/a b+c/100%é.txt", "x");
    const engine = fakeEngine();
    const c = make(bucket, { dir: tmp() });
    await c.start(engine.ctx);
    await waitFor(() => engine.pushed.length === 1);
    const record = engine.pushed[0]!;
    expect(record.attributes.key).toBe("in/a b+c/100%é.txt");
    expect((record.body as { s3: { object: { key: string } } }).s3.object.key).toBe(
      "in/a+b%2Bc/100%25%C3%A9.txt",
    );
  });
});

describe("S3Connector checkpoint problems", () => {
  it("a corrupt checkpoint: one error line that names it, says what is wrong and what to do; one info line once fixed", async () => {
    const bucket = new FakeBucket();
    bucket.put("a", "1");
    const dir = tmp();
    const path = join(dir, "cp");
    writeFileSync(path, "this is not a checkpoint\n");
    const log = captureLog();
    const engine = fakeEngine();
    const c = make(bucket, { dir });
    await c.start({ ...engine.ctx, logger: log.logger });
    // Several attempts go by.
    await waitFor(() => log.lines.filter((l) => l.level === "debug").length >= 2);
    expect(log.loud()).toEqual([
      expect.objectContaining({
        level: "error",
        msg: "S3 checkpoint cannot be used; polling waits until it is fixed",
        checkpoint: path,
        code: "CHECKPOINT_INVALID",
        err: `checkpoint ${path} cannot be used: not a checkpoint file (bad header)`,
        hint: expect.stringMatching(/delete the checkpoint to start over/),
      }),
    ]);
    expect(c.health().detail).toContain(`checkpoint ${path} cannot be used`);
    expect(engine.pushed).toHaveLength(0);

    rmSync(path);
    await waitFor(() => engine.pushed.length === 1);
    expect(log.loud().map((l) => `${l.level} ${l.msg}`)).toEqual([
      "error S3 checkpoint cannot be used; polling waits until it is fixed",
      "info S3 checkpoint usable again",
    ]);
  });

  it("a checkpoint cut short: a warning with what was recovered, and only the objects after it come again", async () => {
    const bucket = new FakeBucket();
    for (const k of ["k1", "k2", "k3", "k4"]) bucket.put(k, k);
    const dir = tmp();
    const first = fakeEngine();
    const c1 = make(bucket, { dir });
    await c1.start(first.ctx);
    await waitFor(() => first.pushed.length === 4);
    await polls(bucket, 1);
    await c1.stop();
    running.length = 0;

    const path = join(dir, "cp");
    const text = readFileSync(path, "utf8");
    // Cut in the middle of k3's line.
    truncateSync(path, text.indexOf("k3\t") + 4);
    const log = captureLog();
    const second = fakeEngine();
    const c2 = make(bucket, { dir });
    await c2.start({ ...second.ctx, logger: log.logger });
    await waitFor(() => second.pushed.length === 2);
    await polls(bucket, 1);
    expect(second.keys()).toEqual(["created:k3", "created:k4"]);
    expect(log.lines.filter((l) => l.level === "warn")).toEqual([
      expect.objectContaining({
        checkpoint: path,
        entriesRecovered: 2,
        lastKeyRecovered: "k2",
        msg: expect.stringMatching(/cut short.*objects after that key are delivered again/),
      }),
    ]);
  });
});

describe("S3Connector faults", () => {
  it("a bucket going away is one warn line with the reason, no stack; one info line when it is back", async () => {
    const bucket = new FakeBucket();
    bucket.put("a", "1");
    const log = captureLog();
    const engine = fakeEngine();
    const c = make(bucket, { dir: tmp() });
    await c.start({ ...engine.ctx, logger: log.logger });
    await waitFor(() => engine.pushed.length === 1);
    bucket.failure = new S3UnreachableError("http://127.0.0.1:9", "connect ECONNREFUSED");
    await waitFor(() => log.lines.filter((l) => l.level === "debug" && l.attempt).length >= 3);
    bucket.failure = undefined;
    bucket.put("b", "2");
    await waitFor(() => engine.pushed.length === 2);
    const loud = log.loud().filter((l) => l.msg !== "S3 connector ready");
    expect(loud).toEqual([
      {
        level: "warn",
        msg: "S3 bucket unavailable; retrying",
        connector: "files",
        bucket: "bucket",
        code: "UNREACHABLE",
        err: "S3 endpoint http://127.0.0.1:9 unreachable: connect ECONNREFUSED",
        hint: expect.stringMatching(/^Check `endpoint`/),
        retryInMs: expect.any(Number),
      },
      expect.objectContaining({ level: "info", msg: "S3 bucket available again" }),
    ]);
    expect(JSON.stringify(log.lines)).not.toMatch(/stack|at .*\.ts:\d+/);
  });
});

describe("S3Connector startup", () => {
  it("starts not ready when the bucket is missing, keeps retrying, and recovers", async () => {
    const bucket = new FakeBucket();
    bucket.failure = new BucketNotFoundError("bucket", "memory");
    bucket.put("a", "1");
    const engine = fakeEngine();
    const c = make(bucket, { dir: tmp() });
    await c.start(engine.ctx);
    expect(c.health()).toEqual({
      connected: false,
      detail: expect.stringMatching(/bucket "bucket" does not exist at memory — Create the bucket/),
    });
    await new Promise((r) => setTimeout(r, 250));
    expect(c.health().connected).toBe(false);
    bucket.failure = undefined;
    await waitFor(() => engine.pushed.length === 1);
    expect(c.health().connected).toBe(true);
  });

  it("with failFast, start rejects with the typed error", async () => {
    const bucket = new FakeBucket();
    bucket.failure = new BucketNotFoundError("bucket", "memory");
    const c = make(bucket, { dir: tmp(), startup: { failFast: true } });
    await expect(c.start(fakeEngine().ctx)).rejects.toBeInstanceOf(BucketNotFoundError);
  });

  it("a listing that fails mid-way keeps what was delivered and carries the rest", async () => {
    const bucket = new FakeBucket();
    for (let i = 0; i < 6; i++) bucket.put(`k${i}`, "v");
    const engine = fakeEngine();
    bucket.failListingAfterPages = 1;
    const c = make(bucket, { dir: tmp(), poll: { pageSize: 2 } });
    await c.start(engine.ctx);
    await waitFor(() => !c.health().connected);
    expect(engine.pushed).toHaveLength(2);
    bucket.failListingAfterPages = undefined;
    await waitFor(() => engine.pushed.length === 6);
    await polls(bucket, 1);
    expect(engine.keys().sort()).toEqual(
      ["k0", "k1", "k2", "k3", "k4", "k5"].map((k) => `created:${k}`),
    );
  });
});
