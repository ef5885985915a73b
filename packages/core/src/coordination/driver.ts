/**
 * What a coordination engine (Redis, PostgreSQL) provides: leases with a fencing token, and
 * state written only while a token is current. Every check is done by the engine itself, in one
 * atomic step, so no replica's clock or memory decides who holds a lease.
 */
export type AcquireResult = { token: number } | { heldForMs: number };

export interface CoordinationHealth {
  connected: boolean;
  /** The engine's URL without credentials, and the last error when not connected. */
  detail: string;
}

export interface CoordinationDriver {
  readonly engine: "redis" | "postgres";
  /** The URL without credentials. */
  readonly location: string;
  /**
   * Takes the lease when nobody holds it, with a fresh token (greater than every earlier token
   * of this lease); otherwise says how long the current holder's lease still runs.
   */
  tryAcquire(lease: string, holder: string, ttlMs: number): Promise<AcquireResult>;
  /** Extends the lease by `ttlMs` from now if `holder`/`token` still hold it. */
  renew(lease: string, holder: string, token: number, ttlMs: number): Promise<boolean>;
  /** Ends the lease if `holder`/`token` still hold it, so another replica takes it at once. */
  release(lease: string, holder: string, token: number): Promise<void>;
  get(lease: string, key: string): Promise<string | undefined>;
  /** Writes `key` only if `holder`/`token` hold the lease at that moment; false otherwise. */
  fencedSet(
    lease: string,
    holder: string,
    token: number,
    key: string,
    value: string,
  ): Promise<boolean>;
  /** True if `holder`/`token` hold the lease at that moment. */
  isCurrent(lease: string, holder: string, token: number): Promise<boolean>;
  /** Called when a connection to the engine drops: every lease counts as lost. */
  onConnectionLost(listener: (reason: string) => void): void;
  health(): CoordinationHealth;
  close(): Promise<void>;
}
