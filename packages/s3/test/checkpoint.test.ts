import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CheckpointWriter, headerLine, readCheckpoint } from "../src/checkpoint-file.js";
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
    expect(readFileSync(path, "utf8").split("\n")).toHaveLength(entries.length + 2);
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
    writeFileSync(path, `${headerLine(scope)}\nin/b\t1\nin/a\t1\n`);
    await expect(all(readCheckpoint(path, scope))).rejects.toThrow(/out of order/);
  });
});

describe("checkpoint stores", () => {
  it("file store: load tells whether a checkpoint exists; commit makes it live", async () => {
    const store = new FileCheckpointStore(join(dir(), "s3.checkpoint"), scope);
    expect(await store.load()).toBe(false);
    const w = await store.writer();
    await w.write({ key: "in/x", etag: "1" });
    await store.commit(w);
    expect(await store.load()).toBe(true);
    expect(await all(store.entries())).toEqual([{ key: "in/x", etag: "1" }]);
  });

  it("bucket store: writes with If-None-Match then If-Match, and a second writer loses with a conflict", async () => {
    const bucket = new FakeBucket();
    const a = new BucketCheckpointStore(bucket, ".cp", scope);
    const b = new BucketCheckpointStore(bucket, ".cp", scope);
    expect(await a.load()).toBe(false);
    expect(await b.load()).toBe(false);
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
