import { describe, expect, it } from "vitest";
import { PartitionPauses } from "../src/partition-pauses.js";

describe("PartitionPauses", () => {
  it("keeps a partition paused while any of its keys is, and names it once each way", () => {
    const pauses = new PartitionPauses();
    expect(pauses.pause("orders/3#k1")).toEqual({ topic: "orders", partition: 3, id: "orders/3" });
    expect(pauses.pause("orders/3#k2")).toBeUndefined();
    expect(pauses.pause("orders/4")).toMatchObject({ topic: "orders", partition: 4 });
    expect(pauses.has("orders", 3)).toBe(true);
    expect(pauses.resume("orders/3#k1")).toBeUndefined();
    expect(pauses.has("orders", 3)).toBe(true);
    expect(pauses.resume("orders/3#k2")).toMatchObject({ topic: "orders", partition: 3 });
    expect(pauses.has("orders", 3)).toBe(false);
    expect(pauses.resume("orders/3#k2")).toBeUndefined();
    expect(pauses.has("orders", 4)).toBe(true);
  });

  it("ignores a key that names no partition", () => {
    const pauses = new PartitionPauses();
    expect(pauses.pause("not-a-lane")).toBeUndefined();
    expect(pauses.resume("not-a-lane")).toBeUndefined();
  });
});
