import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type CheckpointTruncation,
  CheckpointWriter,
  headerLine,
  readCheckpoint,
} from "../src/checkpoint-file.js";
import { BucketCheckpointStore, FileCheckpointStore } from "../src/checkpoint-store.js";
import { CheckpointConflictError, CheckpointError } from "../src/errors.js";
import { FakeBucket } from "./fake-bucket.js";

const scope = { bucket: "bucket", prefix: "in/" };
const dir = () => mkdtempSync(join(tmpdir(), "fgconnect-s3-cp-"));
const all = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe("checkpoint file", () => {
  it("round-trips keys holding tabs, newlines and backslashes, in order", async () => {
    const path = join(dir(), "cp");
    const entries = [
      { key: "in/a\\b", etag: "e1" },
      { key: "in/a\tb", etag: "e2-3" },
      { key: "in/line\nbreak\r", etag: "e3" },
      { key: "in/😀", etag: "e4" },
    ].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    const w = await CheckpointWriter.create(`${path}.next`, scope);
    for (const e of entries) await w.write(e);
    await w.commit(path);
    expect(await all(readCheckpoint(path, scope))).toEqual(entries);
    // Header, entries, end line, and the final newline.
    expect(readFileSync(path, "utf8").split("\n")).toHaveLength(entries.length + 3);
  });

  it("is empty when missing, and refuses one written for another bucket or prefix", async () => {
    const path = join(dir(), "cp");
    expect(await all(readCheckpoint(path, scope))).toEqual([]);
    writeFileSync(path, `${headerLine({ bucket: "bucket", prefix: "other/" })}\n`);
    await expect(all(readCheckpoint(path, scope))).rejects.toThrow(CheckpointError);
    await expect(all(readCheckpoint(path, scope))).rejects.toThrow(
      /written for bucket "bucket" prefix "other\/"/,
    );
    writeFileSync(path, "garbage\n");
    await expect(all(readCheckpoint(path, scope))).rejects.toThrow(/not a checkpoint file/);
  });

  it("refuses entries out of order, on write and on read", async () => {
    const w = await CheckpointWriter.create(join(dir(), "cp"), scope);
    await w.write({ key: "in/b", etag: "1" });
    await expect(w.write({ key: "in/a", etag: "1" })).rejects.toThrow(/out of order/);
    const path = join(dir(), "cp2");
    writeFileSync(path, `${headerLine(scope)}\nin/b\t1\nin/a\t1\n{"end":true,"entries":2}\n`);
    await expect(all(readCheckpoint(path, scope))).rejects.toThrow(/out of order/);
  });
});

describe("a checkpoint cut short or corrupt", () => {
  const threeEntries = async () => {
    const path = join(dir(), "cp");
    const w = await CheckpointWriter.create(`${path}.next`, scope);
    for (const key of ["in/a", "in/b", "in/c"]) await w.write({ key, etag: `etag-of-${key}` });
    await w.commit(path);
    return path;
  };
  const readTruncated = async (path: string) => {
    let truncation: CheckpointTruncation | undefined;
    const entries = await all(
      readCheckpoint(path, scope, path, (t) => {
        truncation = t;
      }),
    );
    return { keys: entries.map((e) => e.key), truncation };
  };

  it("a complete one reports nothing", async () => {
    const path = await threeEntries();
    expect(await readTruncated(path)).toEqual({
      keys: ["in/a", "in/b", "in/c"],
      truncation: undefined,
    });
  });

  it("yields the entries surely intact and reports where it was cut", async () => {
    const path = await threeEntries();
    const text = readFileSync(path, "utf8");
    // Cut inside the last entry's ETag: that entry may be torn, so it is dropped too.
    truncateSync(path, text.indexOf("etag-of-in/c") + 4);
    expect(await readTruncated(path)).toEqual({
      keys: ["in/a", "in/b"],
      truncation: { entries: 2, lastKey: "in/b" },
    });
    // Cut right after the header: nothing survived.
    truncateSync(path, text.indexOf("\n") + 1);
    expect(await readTruncated(path)).toEqual({ keys: [], truncation: { entries: 0 } });
    // An empty file.
    truncateSync(path, 0);
    expect(await readTruncated(path)).toEqual({ keys: [], truncation: { entries: 0 } });
  });

  it("refuses a malformed line inside the file and an end line that does not match", async () => {
    const path = await threeEntries();
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.replace("in/b\tetag-of-in/b", "in/b etag-of-in/b"));
    await expect(all(readCheckpoint(path, scope))).rejects.toThrow(
      new RegExp(`checkpoint ${path} cannot be used: malformed line "in/b etag-of-in/b"`),
    );
    writeFileSync(path, text.replace("in/b\tetag-of-in/b\n", ""));
    await expect(all(readCheckpoint(path, scope))).rejects.toThrow(
      /it holds 2 entries where its end line says 3/,
    );
  });

  it("still reads a version 1 checkpoint, which has no end line", async () => {
    const path = join(dir(), "cp");
    const v1 = JSON.stringify({ format: "fgconnect-s3-checkpoint", version: 1, ...scope });
    writeFileSync(path, `${v1}\nin/a\t1\nin/b\t2\n`);
    expect(await readTruncated(path)).toEqual({ keys: ["in/a", "in/b"], truncation: undefined });
  });

  it("the file store's load reads it through: a bad line deep in the file fails there", async () => {
    const path = await threeEntries();
    writeFileSync(path, readFileSync(path, "utf8").replace("in/c\t", "in/c "));
    const store = new FileCheckpointStore(path, scope);
    await expect(store.load()).rejects.toThrow(CheckpointError);
    await expect(store.load()).rejects.toThrow(/malformed line "in\/c etag-of-in\/c"/);
  });

  it("the file store's load tells what survived of a checkpoint cut short", async () => {
    const path = await threeEntries();
    const text = readFileSync(path, "utf8");
    truncateSync(path, text.indexOf("etag-of-in/c") + 4);
    const store = new FileCheckpointStore(path, scope);
    expect(await store.load()).toEqual({
      exists: true,
      entries: 2,
      truncated: { entries: 2, lastKey: "in/b" },
    });
  });
});

describe("checkpoint stores", () => {
  it("file store: load tells whether a checkpoint exists; commit makes it live", async () => {
    const store = new FileCheckpointStore(join(dir(), "s3.checkpoint"), scope);
    expect(await store.load()).toEqual({ exists: false, entries: 0 });
    const w = await store.writer();
    await w.write({ key: "in/x", etag: "1" });
    await store.commit(w);
    expect(await store.load()).toEqual({ exists: true, entries: 1 });
    expect(await all(store.entries())).toEqual([{ key: "in/x", etag: "1" }]);
  });

  it("bucket store: writes with If-None-Match then If-Match, and a second writer loses with a conflict", async () => {
    const bucket = new FakeBucket();
    const a = new BucketCheckpointStore(bucket, ".cp", scope);
    const b = new BucketCheckpointStore(bucket, ".cp", scope);
    expect((await a.load()).exists).toBe(false);
    expect((await b.load()).exists).toBe(false);
    const wa = await a.writer();
    await wa.write({ key: "in/1", etag: "x" });
    await a.commit(wa);
    const wb = await b.writer();
    await wb.write({ key: "in/2", etag: "y" });
    await expect(b.commit(wb)).rejects.toThrow(CheckpointConflictError);
    // b reloaded a's checkpoint and can go on from it.
    expect(await all(b.entries())).toEqual([{ key: "in/1", etag: "x" }]);
    const wb2 = await b.writer();
    await wb2.write({ key: "in/2", etag: "y" });
    await b.commit(wb2);
    expect(bucket.objects.get(".cp")!.body.toString()).toContain("in/2\ty");
    await a.close();
    await b.close();
  });
});
