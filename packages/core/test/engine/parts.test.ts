import { describe, expect, it, vi } from "vitest";
import { Backpressure } from "../../src/engine/backpressure.js";
import { Batcher } from "../../src/engine/batcher.js";
import { systemClock } from "../../src/engine/clock.js";
import { limitsSchema } from "../../src/engine/schema.js";

describe("Backpressure", () => {
  it("pauses at a limit and resumes only at the low-water mark", () => {
    const bp = new Backpressure(
      limitsSchema.parse({ maxBufferedRecords: 4, maxBufferedBytes: 1_000, resumeAt: 0.5 }),
    );
    expect([bp.add(1), bp.add(1), bp.add(1)]).toEqual([undefined, undefined, undefined]);
    expect(bp.add(1)).toBe("pause");
    expect(bp.add(1)).toBeUndefined(); // overshoot is accepted, no second pause
    expect([bp.remove(1), bp.remove(1)]).toEqual([undefined, undefined]); // 5 → 4 → 3
    expect(bp.records).toBe(3);
    expect(bp.remove(1)).toBe("resume"); // 2 = 50% of 4
    expect(bp.paused).toBe(false);
  });

  it("counts bytes too: both must be low to resume", () => {
    const bp = new Backpressure(
      limitsSchema.parse({ maxBufferedRecords: 100, maxBufferedBytes: 1_000, resumeAt: 0.5 }),
    );
    expect(bp.add(400)).toBeUndefined();
    expect(bp.add(700)).toBe("pause");
    expect(bp.remove(400)).toBeUndefined(); // 700 bytes > 500
    expect(bp.add(10)).toBeUndefined();
    expect(bp.remove(700)).toBe("resume");
  });
});

describe("Batcher", () => {
  const make = (config: { maxRecords: number; maxBytes: number; maxWaitMs: number }) => {
    const out: [string | undefined, string[]][] = [];
    const batcher = new Batcher<string>(config, systemClock, (key, items) =>
      out.push([key, items]),
    );
    return { batcher, out };
  };

  it("closes a batch when it reaches maxRecords, per key", () => {
    vi.useFakeTimers();
    const { batcher, out } = make({ maxRecords: 2, maxBytes: 1_000, maxWaitMs: 1_000 });
    batcher.add("a", "a1", 1);
    batcher.add("b", "b1", 1);
    batcher.add("a", "a2", 1);
    expect(out).toEqual([["a", ["a1", "a2"]]]);
    vi.advanceTimersByTime(1_000);
    expect(out).toEqual([
      ["a", ["a1", "a2"]],
      ["b", ["b1"]],
    ]);
    vi.useRealTimers();
  });

  it("never lets a batch go over maxBytes", () => {
    vi.useFakeTimers();
    const { batcher, out } = make({ maxRecords: 10, maxBytes: 100, maxWaitMs: 1_000 });
    batcher.add(undefined, "x", 60);
    batcher.add(undefined, "y", 60); // would make 120: x leaves alone
    batcher.add(undefined, "z", 40); // 100: full
    expect(out).toEqual([
      [undefined, ["x"]],
      [undefined, ["y", "z"]],
    ]);
    vi.useRealTimers();
  });
});
