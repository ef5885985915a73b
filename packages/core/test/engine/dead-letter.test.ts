import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../../src/client/errors.js";
import { parseDeadLetterEntry, reviveRecord } from "../../src/dead-letters.js";
import { createDeadLetterSink, toDeadLetterEntry } from "../../src/engine/dead-letter.js";
import {
  createFileDeadLetterReader,
  createFileDeadLetterSink,
  replayedFileOf,
} from "../../src/engine/dead-letter-file.js";
import { record } from "./fakes.js";

const base = {
  reason: "retries exhausted" as const,
  route: "orders",
  target: "urn:fss:r:p:function:default:fn:latest",
  mode: "async" as const,
  attempts: 3,
  firstAttemptAt: Date.UTC(2024, 0, 1, 0, 0, 0),
  now: Date.UTC(2024, 0, 1, 0, 1, 0),
  error: new ApiError(503, "FSS.0503", "unavailable", "req-9", true, "hint"),
};

describe("toDeadLetterEntry", () => {
  it("keeps the record, the route, the target, the attempts, the timestamps and the last error", () => {
    const r = record("r1", {
      attributes: { topic: "t", partition: 2 },
      orderingKey: "k",
      body: Buffer.from('{"a":1}'),
      timestamp: Date.UTC(2023, 11, 31),
    });
    expect(toDeadLetterEntry(r, base)).toEqual({
      version: 1,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      reason: "retries exhausted",
      route: "orders",
      target: base.target,
      mode: "async",
      attempts: 3,
      firstAttemptAt: "2024-01-01T00:00:00.000Z",
      deadLetteredAt: "2024-01-01T00:01:00.000Z",
      error: {
        name: "ApiError",
        code: "FSS.0503",
        message: "FunctionGraph answered 503 FSS.0503: unavailable (request req-9)",
        requestId: "req-9",
        httpStatus: 503,
      },
      record: {
        id: "r1",
        source: "src",
        timestamp: "2023-12-31T00:00:00.000Z",
        orderingKey: "k",
        size: 10,
        attributes: { topic: "t", partition: 2 },
        bodyEncoding: "utf8",
        body: '{"a":1}',
      },
    });
  });

  it("base64-encodes binary bodies and keeps JSON bodies as they are", () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x01]);
    const entry = toDeadLetterEntry(record("b", { body: binary }), { ...base, error: undefined });
    expect(entry.record.bodyEncoding).toBe("base64");
    expect(Buffer.from(entry.record.body as string, "base64")).toEqual(binary);
    expect(entry.error).toBeNull();
    const json = toDeadLetterEntry(record("j", { body: { x: [1] } }), base);
    expect(json.record).toMatchObject({ bodyEncoding: "json", body: { x: [1] } });
  });
});

describe("file dead-letter sink", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fgc-dlq-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the directory and appends one JSON object per line", async () => {
    const path = join(dir, "nested", "deeper", "dlq.jsonl");
    await writeFile(join(dir, "unrelated"), "");
    const sink = createFileDeadLetterSink({ path });
    const a = toDeadLetterEntry(record("a"), base);
    const b = toDeadLetterEntry(record("b"), base);
    await Promise.all([sink.write(a, record("a")), sink.write(b, record("b"))]);
    await sink.close();
    const again = createDeadLetterSink({ type: "file", path, fsync: false });
    await again.write(a, record("a"));
    await again.close?.();
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).record.id)).toEqual(["a", "b", "a"]);
  });

  it("rejects when it cannot write, and recovers on a later write", async () => {
    const blocker = join(dir, "file-not-dir");
    await writeFile(blocker, "");
    const sink = createFileDeadLetterSink({ path: join(blocker, "dlq.jsonl") });
    await expect(sink.write(toDeadLetterEntry(record("a"), base), record("a"))).rejects.toThrow();
    await rm(blocker);
    await sink.write(toDeadLetterEntry(record("b"), base), record("b"));
    await sink.close();
    const text = await readFile(join(blocker, "dlq.jsonl"), "utf8");
    expect(
      text
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l).record.id),
    ).toEqual(["b"]);
  });
});

describe("reading dead letters back", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fgc-dlq-read-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const collect = async (reader: ReturnType<typeof createFileDeadLetterReader>, replay = false) => {
    const out = [];
    for await (const stored of reader.read({ replay })) out.push(stored);
    return out;
  };

  it("gives each entry a distinct id, and revives its record with the original bytes", () => {
    const binary = Buffer.from([0xff, 0x00, 0x41]);
    const r = record("r", { body: binary, orderingKey: "k", timestamp: Date.UTC(2024, 1, 2) });
    const a = toDeadLetterEntry(r, base);
    expect(a.id).not.toBe(toDeadLetterEntry(r, base).id);
    const parsed = parseDeadLetterEntry(JSON.stringify(a))!;
    expect(reviveRecord(parsed)).toEqual(r);
    expect(reviveRecord(toDeadLetterEntry(record("j", { body: { x: 1 } }), base)).body).toEqual({
      x: 1,
    });
  });

  it("derives a stable id for entries written before ids, and skips lines that are no entry", async () => {
    const path = join(dir, "old.jsonl");
    const { id: _, ...old } = toDeadLetterEntry(record("old"), base);
    await writeFile(path, `${JSON.stringify(old)}\nnot json\n{"version":2}\n`);
    const first = await collect(createFileDeadLetterReader({ path }));
    const second = await collect(createFileDeadLetterReader({ path }));
    expect(first.map((s) => s.entry.record.id)).toEqual(["old"]);
    expect(first[0]!.entry.id).toMatch(/^h-[0-9a-f]{24}$/);
    expect(second[0]!.entry.id).toBe(first[0]!.entry.id);
  });

  it("marks replayed entries in the sidecar, only during a replay, and reads them as replayed after", async () => {
    const path = join(dir, "dlq.jsonl");
    const sink = createFileDeadLetterSink({ path });
    for (const id of ["a", "b", "c"])
      await sink.write(toDeadLetterEntry(record(id), base), record(id));
    await sink.close();
    const reader = createFileDeadLetterReader({ path });
    const listed = await collect(reader);
    expect(listed.map((s) => s.replayed)).toEqual([false, false, false]);
    await expect(listed[0]!.markReplayed()).rejects.toThrow(/only during a replay/);
    const replaying = await collect(reader, true);
    await replaying[1]!.markReplayed();
    await reader.close();
    expect((await readFile(replayedFileOf(path), "utf8")).trim()).toBe(replaying[1]!.entry.id);
    const after = await collect(createFileDeadLetterReader({ path }));
    expect(after.map((s) => [s.entry.record.id, s.replayed])).toEqual([
      ["a", false],
      ["b", true],
      ["c", false],
    ]);
  });

  it("reads only the entries that start within the file's last bytes when bounded", async () => {
    const path = join(dir, "dlq.jsonl");
    const lines = ["a", "b", "c"].map(
      (id) => `${JSON.stringify(toDeadLetterEntry(record(id), base))}\n`,
    );
    await writeFile(path, lines.join(""));
    const reader = createFileDeadLetterReader({ path });
    const ids = async (lastBytes: number) => {
      const out: string[] = [];
      for await (const s of reader.read({ replay: false, lastBytes })) out.push(s.entry.record.id);
      return out;
    };
    const last = lines[2]!.length;
    // Exactly the last line, one byte more (a cut line, dropped), or the two last lines.
    expect(await ids(last)).toEqual(["c"]);
    expect(await ids(last + 1)).toEqual(["c"]);
    expect(await ids(last + lines[1]!.length)).toEqual(["b", "c"]);
    expect(await ids(last - 1)).toEqual([]);
    expect(await ids(1e9)).toEqual(["a", "b", "c"]);
  });

  it("reads an absent file as empty", async () => {
    expect(await collect(createFileDeadLetterReader({ path: join(dir, "none.jsonl") }))).toEqual(
      [],
    );
  });
});
