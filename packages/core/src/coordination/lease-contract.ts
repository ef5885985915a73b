/** What a connector and the runner see of a lease: its terms, and the lease one replica keeps. */
import type { CoordinationHealth } from "./driver.js";

/** One holding of a lease: its fencing token and the state it may write. */
export interface LeaseTerm {
  readonly lease: string;
  readonly token: number;
  /** False once this replica stopped holding the lease (lost, released, or deadline passed). */
  readonly active: boolean;
  /** Reads shared state of the lease. */
  get(key: string): Promise<string | undefined>;
  /** Writes shared state if this term's token is still the current one; else LeaseLostError. */
  set(key: string, value: string): Promise<void>;
  /** Resolves if this term's token is still the current one; else LeaseLostError. */
  check(): Promise<void>;
}

export interface Lease {
  readonly name: string;
  /** True while this replica holds the lease and may act. */
  readonly held: boolean;
  /** The current term's fencing token, while held. */
  readonly token: number | undefined;
  /** How many times the lease was gained and lost here. */
  readonly transitions: { readonly gained: number; readonly lost: number };
  onGained(listener: (term: LeaseTerm) => void): void;
  onLost(listener: (term: LeaseTerm, reason: string) => void): void;
  /** Begins competing for the lease. */
  start(): void;
  /** Ends `term` in the engine (if still current) so another replica takes over at once. */
  release(term: LeaseTerm): Promise<void>;
  /** Stops competing and releases the lease if held. */
  stop(): Promise<void>;
  /** The coordination engine's health. */
  health(): CoordinationHealth;
}
