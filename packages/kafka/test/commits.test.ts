import { describe, expect, it } from "vitest";
import { PartitionCommits } from "../src/commits.js";

describe("PartitionCommits", () => {
  it("commits only the contiguous prefix of settled offsets", () => {
    const c = new PartitionCommits();
    for (const o of [10, 11, 12, 13]) c.add(o);
    expect(c.committable()).toBe(10);
    c.settle(12);
    c.settle(13);
    expect(c.committable()).toBe(10);
    c.settle(10);
    expect(c.committable()).toBe(11);
    c.settle(11);
    expect(c.committable()).toBe(14);
    c.markCommitted(14);
    expect(c.committable()).toBeUndefined();
    expect(c.inFlight).toBe(0);
  });

  it("covers gaps (compaction, transaction markers) once the records around them are settled", () => {
    const c = new PartitionCommits();
    c.add(5);
    c.add(9);
    c.readUpTo(11);
    c.settle(9);
    expect(c.committable()).toBe(5);
    c.settle(5);
    expect(c.committable()).toBe(12);
  });

  it("never commits at or past an abandoned record", () => {
    const c = new PartitionCommits();
    for (const o of [1, 2, 3]) c.add(o);
    c.settle(1);
    c.abandon(2);
    c.settle(3);
    expect(c.committable()).toBe(2);
    c.markCommitted(2);
    expect(c.committable()).toBeUndefined();
  });

  it("knows what it already read, so a re-fetch is skipped", () => {
    const c = new PartitionCommits();
    expect(c.seen(0)).toBe(false);
    c.add(0);
    c.add(1);
    expect(c.seen(1)).toBe(true);
    expect(c.seen(2)).toBe(false);
    expect(() => c.add(1)).toThrow(/below the read position/);
  });

  it("does not move backwards after a commit", () => {
    const c = new PartitionCommits();
    c.add(3);
    c.settle(3);
    c.markCommitted(4);
    c.markCommitted(2);
    expect(c.committed).toBe(4);
    expect(c.committable()).toBeUndefined();
  });

  it("stays correct over a long out-of-order run", () => {
    const c = new PartitionCommits();
    const n = 5_000;
    for (let i = 0; i < n; i++) c.add(i);
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => ((a * 7919) % n) - ((b * 7919) % n),
    );
    const settled = new Set<number>();
    for (const o of order) {
      c.settle(o);
      settled.add(o);
      let expected = 0;
      while (settled.has(expected)) expected++;
      expect(c.committable()).toBe(expected);
    }
  });
});
