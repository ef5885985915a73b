import { describe, expect, it } from "vitest";
import type { ListedObject } from "../src/bucket.js";
import { type Change, diffListing } from "../src/diff.js";

const obj = (key: string, etag: string): ListedObject => ({ key, etag, size: 1, lastModified: 0 });
async function* from<T>(items: T[], failAfter?: number): AsyncGenerator<T> {
  let n = 0;
  for (const item of items) {
    if (failAfter !== undefined && n++ >= failAfter) throw new Error("listing broke");
    yield item;
  }
}
const summary = (c: Change) =>
  c.kind === "created" || c.kind === "changed" ? `${c.kind}:${c.object.key}` : `${c.kind}:${c.key}`;

async function collect(
  gen: AsyncGenerator<Change>,
): Promise<{ changes: string[]; error?: string }> {
  const changes: string[] = [];
  try {
    for await (const c of gen) changes.push(summary(c));
    return { changes };
  } catch (error) {
    return { changes, error: (error as Error).message };
  }
}

const checkpoint = [
  { key: "a", etag: "1" },
  { key: "b", etag: "1" },
  { key: "d", etag: "1" },
  { key: "f", etag: "1" },
];

describe("diffListing", () => {
  it("classifies each key as same, created, changed or deleted", async () => {
    const listing = [obj("a", "1"), obj("b", "2"), obj("c", "1"), obj("f", "1"), obj("g", "1")];
    const out = await collect(diffListing(from(listing), from(checkpoint)));
    expect(out).toEqual({
      changes: ["same:a", "changed:b", "created:c", "deleted:d", "same:f", "created:g"],
    });
  });

  it("carries the rest of the checkpoint over when told to stop", async () => {
    let n = 0;
    const out = await collect(
      diffListing(from([obj("a", "1"), obj("b", "1")]), from(checkpoint), () => n++ >= 1),
    );
    expect(out).toEqual({ changes: ["same:a", "carry:b", "carry:d", "carry:f"] });
  });

  it("carries the rest over, then throws, when the listing fails", async () => {
    const out = await collect(
      diffListing(from([obj("a", "1"), obj("c", "1"), obj("z", "1")], 2), from(checkpoint)),
    );
    expect(out).toEqual({
      changes: ["same:a", "deleted:b", "created:c", "carry:d", "carry:f"],
      error: "listing broke",
    });
  });

  it("stops at a listing out of order, keeping the rest of the checkpoint", async () => {
    const out = await collect(diffListing(from([obj("b", "1"), obj("a", "1")]), from(checkpoint)));
    expect(out.changes).toEqual(["deleted:a", "same:b", "carry:d", "carry:f"]);
    expect(out.error).toMatch(/not in UTF-8 binary order/);
  });
});
