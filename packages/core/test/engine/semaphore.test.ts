import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { Semaphore } from "../../src/engine/semaphore.js";

describe("Semaphore", () => {
  it("grants in FIFO order as slots are released", async () => {
    const s = new Semaphore(1);
    const signal = new AbortController().signal;
    expect(await s.acquire(signal)).toBe(true);
    const order: number[] = [];
    const waits = [1, 2, 3].map((i) => s.acquire(signal).then((ok) => ok && order.push(i)));
    expect(s.waiting).toBe(3);
    for (let i = 0; i < 3; i++) {
      s.release();
      await Promise.resolve();
    }
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
    expect(s.inUse).toBe(1);
  });

  it("shares one abort listener among all waiters of a signal, and abort refuses them all", async () => {
    const s = new Semaphore(1);
    const stop = new AbortController();
    const other = new AbortController();
    await s.acquire(stop.signal);
    const waits = Array.from({ length: 1_000 }, () => s.acquire(stop.signal));
    const otherWait = s.acquire(other.signal);
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(1);
    stop.abort();
    expect(await Promise.all(waits)).toEqual(Array(1_000).fill(false));
    // Waiters of another signal keep their place.
    expect(s.waiting).toBe(1);
    s.release();
    expect(await otherWait).toBe(true);
    expect(s.inUse).toBe(1);
  });

  it("refuses at once when the signal is already aborted", async () => {
    const s = new Semaphore(2);
    const c = new AbortController();
    c.abort();
    expect(await s.acquire(c.signal)).toBe(false);
    expect(s.inUse).toBe(0);
  });
});

describe("Semaphore shared between keys", () => {
  it("gives a freed slot to the next key in turn, in order within each key", async () => {
    const s = new Semaphore(1);
    const signal = new AbortController().signal;
    await s.acquire(signal);
    const order: string[] = [];
    const wait = (key: string | undefined, n: number) =>
      s.acquire(signal, key).then(() => order.push(`${key ?? "-"}${n}`));
    const waits = [
      ...[1, 2, 3, 4].map((n) => wait(undefined, n)),
      ...[1, 2].map((n) => wait("a", n)),
      wait("b", 1),
    ];
    expect(s.waiting).toBe(7);
    for (let i = 0; i < 7; i++) {
      s.release();
      await Promise.resolve();
    }
    await Promise.all(waits);
    expect(order).toEqual(["-1", "a1", "b1", "-2", "a2", "-3", "-4"]);
  });
});

describe("Semaphore with a long queue", () => {
  it("grants thousands of waiters in order", async () => {
    const s = new Semaphore(1);
    const signal = new AbortController().signal;
    await s.acquire(signal);
    const order: number[] = [];
    const waits = Array.from({ length: 5_000 }, (_, i) =>
      s.acquire(signal).then(() => {
        order.push(i);
        s.release();
      }),
    );
    s.release();
    await Promise.all(waits);
    expect(order).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    expect(s.waiting).toBe(0);
    expect(s.inUse).toBe(0);
  });
});
