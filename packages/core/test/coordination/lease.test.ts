import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type Clock,
  createCoordinator,
  LeaseKeeper,
  LeaseLostError,
  type LeaseTerm,
  leaseTimings,
} from "../../src/index.js";
import { FakeDriver } from "./fake-driver.js";

const L = 3000;
const t = leaseTimings(L); // engine ttl 2700, renew 900, retry 270, margin 540
const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

let driver: FakeDriver;
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  driver = new FakeDriver();
});
afterEach(() => {
  vi.useRealTimers();
});

function keeper(holder = "me"): {
  lease: LeaseKeeper;
  gained: { at: number; term: LeaseTerm }[];
  lost: { at: number; reason: string }[];
} {
  const lease = new LeaseKeeper({ name: "ticks", holder, driver, timings: t, clock });
  const gained: { at: number; term: LeaseTerm }[] = [];
  const lost: { at: number; reason: string }[] = [];
  lease.onGained((term) => gained.push({ at: Date.now(), term }));
  lease.onLost((_, reason) => lost.push({ at: Date.now(), reason }));
  return { lease, gained, lost };
}

describe("a lease kept by one replica", () => {
  it("is gained when free and renewed every third of its time in the engine", async () => {
    const { lease, gained } = keeper();
    lease.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(gained).toHaveLength(1);
    expect(lease.held).toBe(true);
    expect(lease.token).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    const renewals = driver.calls.filter((c) => c.op === "renew").map((c) => c.at);
    expect(renewals).toHaveLength(11);
    expect(renewals.slice(1).map((at, i) => at - renewals[i]!)).toEqual(Array(10).fill(900));
    expect(lease.held).toBe(true);
  });

  it("stops acting at the last renewal's send time + ttl - margin, before the engine can expire it", async () => {
    const { lease, lost } = keeper();
    lease.start();
    await vi.advanceTimersByTimeAsync(1500);
    const lastSent = driver.calls.filter((c) => c.op === "renew").at(-1)!.at;
    const expiresAt = driver.leases.get("ticks")!.expiresAt;
    driver.down = true;
    await vi.advanceTimersByTimeAsync(5000);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.at).toBe(lastSent + t.ttlMs - t.marginMs);
    expect(lost[0]!.at).toBeLessThanOrEqual(expiresAt - t.marginMs);
    expect(lost[0]!.reason).toMatch(/could not renew/);
    // It kept trying to renew until then.
    expect(driver.calls.filter((c) => c.op === "renew" && c.at > lastSent).length).toBeGreaterThan(
      3,
    );
  });

  it("counts a renewal's deadline from when it was sent, not from its late answer", async () => {
    const { lease, lost } = keeper();
    lease.start();
    await vi.advanceTimersByTimeAsync(1);
    driver.delayMs = 900; // the engine handles the renewal 900 ms after it was sent
    await vi.advanceTimersByTimeAsync(t.renewEveryMs + 900);
    const sent = driver.calls.filter((c) => c.op === "renew")[0]!.at;
    const expiresAt = driver.leases.get("ticks")!.expiresAt;
    expect(expiresAt).toBe(sent + 900 + t.ttlMs);
    driver.down = true;
    await vi.advanceTimersByTimeAsync(5000);
    // Acting stopped margin + 900 ms before the engine's expiry.
    expect(lost[0]!.at).toBe(sent + t.ttlMs - t.marginMs);
  });

  it("ends the term at once when the engine refuses the renewal", async () => {
    const { lease, lost, gained } = keeper();
    lease.start();
    await vi.advanceTimersByTimeAsync(1);
    driver.takeOver("ticks", "other", L);
    await vi.advanceTimersByTimeAsync(t.renewEveryMs);
    expect(lost).toEqual([
      { at: gained[0]!.at + t.renewEveryMs, reason: expect.stringMatching(/taken over/) },
    ]);
    expect(lease.held).toBe(false);
    expect(gained[0]!.term.active).toBe(false);
  });

  it("counts a lost connection to the engine as a lost lease", async () => {
    const c = createCoordinator(
      { type: "redis", url: "redis://unused", leaseMs: L },
      { driver, clock, holder: "me" },
    );
    const lease = c.lease("ticks");
    const lost: string[] = [];
    lease.onLost((_, reason) => lost.push(reason));
    lease.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(lease.held).toBe(true);
    driver.dropConnection();
    expect(lease.held).toBe(false);
    expect(lost).toEqual([expect.stringMatching(/connection to the coordination engine lost/)]);
    await c.close();
  });

  it("refuses a fenced write once another replica holds the lease", async () => {
    const { lease, gained } = keeper();
    lease.start();
    await vi.advanceTimersByTimeAsync(1);
    const term = gained[0]!.term;
    await term.set("cron-state", "one");
    expect(await term.get("cron-state")).toBe("one");
    driver.takeOver("ticks", "other", L);
    await expect(term.set("cron-state", "two")).rejects.toBeInstanceOf(LeaseLostError);
    await expect(term.check()).rejects.toBeInstanceOf(LeaseLostError);
    expect(driver.state.get("ticks/cron-state")).toBe("one");
  });
});

describe("replicas competing for a lease", () => {
  it("a standby replica takes over within leaseMs of the holder's death, even one just after a renewal", async () => {
    const a = keeper("a");
    const b = keeper("b");
    a.lease.start();
    await vi.advanceTimersByTimeAsync(1);
    b.lease.start();
    // The holder dies right after a renewal: the engine keeps its lease a whole ttl from now.
    await vi.advanceTimersByTimeAsync(3 * t.renewEveryMs - 1);
    const renewals = driver.calls.filter((c) => c.op === "renew");
    expect(renewals.at(-1)!.at).toBe(Date.now());
    expect(a.lease.held).toBe(true);
    expect(b.lease.held).toBe(false);
    // Its timers are gone with it.
    a.lease.stop = async () => {};
    const diedAt = Date.now();
    (a.lease as unknown as { state: string }).state = "stopped";
    await vi.advanceTimersByTimeAsync(L);
    expect(b.gained).toHaveLength(1);
    // As the lease expires (ttl), plus the standby's few ms of jitter: well within leaseMs.
    expect(b.gained[0]!.at - diedAt).toBeGreaterThanOrEqual(t.ttlMs);
    expect(b.gained[0]!.at - diedAt).toBeLessThanOrEqual(t.ttlMs + 50);
    expect(t.ttlMs + 50).toBeLessThan(L);
    expect(b.gained[0]!.term.token).toBe(2);
  });

  it("a released lease is taken by another replica at its next try", async () => {
    const a = keeper("a");
    const b = keeper("b");
    a.lease.start();
    await vi.advanceTimersByTimeAsync(1);
    b.lease.start();
    await vi.advanceTimersByTimeAsync(100);
    const releasedAt = Date.now();
    await a.lease.stop();
    await vi.advanceTimersByTimeAsync(t.renewEveryMs + 30);
    expect(b.gained).toHaveLength(1);
    expect(b.gained[0]!.at - releasedAt).toBeLessThanOrEqual(t.renewEveryMs + 30);
  });
});
