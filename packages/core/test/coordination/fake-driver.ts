import type { AcquireResult, CoordinationDriver } from "../../src/index.js";

/**
 * An in-memory coordination engine with the real engines' semantics (expiry counted from when
 * the engine handles a request), whose answers can be delayed, failed or withheld.
 */
export class FakeDriver implements CoordinationDriver {
  readonly engine = "redis" as const;
  readonly location = "fake://engine";
  readonly leases = new Map<string, { holder: string; token: number; expiresAt: number }>();
  readonly state = new Map<string, string>();
  readonly calls: { op: string; at: number }[] = [];
  private tokens = 0;
  private lostListeners: ((reason: string) => void)[] = [];
  /** Answers take this long; the engine acts when it answers. */
  delayMs = 0;
  down = false;

  private async act<T>(op: string, fn: (now: number) => T): Promise<T> {
    this.calls.push({ op, at: Date.now() });
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.down) throw new Error("engine unreachable");
    return fn(Date.now());
  }

  private live(lease: string, now: number) {
    const l = this.leases.get(lease);
    return l && l.expiresAt > now ? l : undefined;
  }

  tryAcquire(lease: string, holder: string, ttlMs: number): Promise<AcquireResult> {
    return this.act("acquire", (now) => {
      const l = this.live(lease, now);
      if (l) return { heldForMs: l.expiresAt - now };
      const token = ++this.tokens;
      this.leases.set(lease, { holder, token, expiresAt: now + ttlMs });
      return { token };
    });
  }

  renew(lease: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    return this.act("renew", (now) => {
      const l = this.live(lease, now);
      if (!l || l.holder !== holder || l.token !== token) return false;
      l.expiresAt = now + ttlMs;
      return true;
    });
  }

  release(lease: string, holder: string, token: number): Promise<void> {
    return this.act("release", (now) => {
      const l = this.live(lease, now);
      if (l && l.holder === holder && l.token === token) this.leases.delete(lease);
    });
  }

  get(lease: string, key: string): Promise<string | undefined> {
    return this.act("get", () => this.state.get(`${lease}/${key}`));
  }

  fencedSet(lease: string, holder: string, token: number, key: string, value: string) {
    return this.act("set", (now) => {
      const l = this.live(lease, now);
      if (!l || l.holder !== holder || l.token !== token) return false;
      this.state.set(`${lease}/${key}`, value);
      return true;
    });
  }

  isCurrent(lease: string, holder: string, token: number): Promise<boolean> {
    return this.act("check", (now) => {
      const l = this.live(lease, now);
      return l !== undefined && l.holder === holder && l.token === token;
    });
  }

  /** Another replica takes the lease (as after this one's expiry). */
  takeOver(lease: string, holder: string, ttlMs: number): number {
    const token = ++this.tokens;
    this.leases.set(lease, { holder, token, expiresAt: Date.now() + ttlMs });
    return token;
  }

  dropConnection(): void {
    for (const l of this.lostListeners) l("connection closed");
  }

  onConnectionLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  health() {
    return { connected: !this.down, detail: this.location };
  }

  async close(): Promise<void> {}
}
