import { describe, expect, it } from "vitest";
import { PartitionPauses } from "../src/partition-pauses.js";

describe("PartitionPauses", () => {
  it("keeps a partition paused while any of its keys is, and says once when it is free", () => {
    const pauses = new PartitionPauses();
    pauses.pause("orders/3#k1");
    pauses.pause("orders/3#k2");
    pauses.pause("orders/4");
    expect(pauses.has("orders", 3)).toBe(true);
    expect(pauses.has("orders", 4)).toBe(true);
    expect(pauses.resume("orders/3#k1")).toBe(false);
    expect(pauses.has("orders", 3)).toBe(true);
    expect(pauses.resume("orders/3#k2")).toBe(true);
    expect(pauses.has("orders", 3)).toBe(false);
    expect(pauses.resume("orders/3#k2")).toBe(false);
    expect(pauses.has("orders", 4)).toBe(true);
    expect(pauses.has("orders", 5)).toBe(false);
  });

  it("ignores a key that names no partition", () => {
    const pauses = new PartitionPauses();
    pauses.pause("not-a-lane");
    expect(pauses.resume("not-a-lane")).toBe(false);
  });
});
