/**
 * One accepted record on its way through the engine. It is handled once every delivery it
 * fans out to (each matching route × each of its functions) is delivered or dead-lettered;
 * then — and only then — its outcome goes back to the connector, exactly once.
 */
import type { RecordOutcome, SourceRecord } from "../connector.js";
import type { KeyShares } from "./key-shares.js";

export class PendingRecord {
  #remaining: number;
  #deadLettered = false;
  #settled = false;

  constructor(
    readonly record: SourceRecord,
    /** Bytes counted against the buffer limit. */
    readonly bytes: number,
    deliveries: number,
    /** The connector's labels, for the engine's bookkeeping. */
    readonly source: { source: string },
    /** The connector's per-key shares of the buffer, when it can pause a key. */
    readonly shares: KeyShares | undefined,
    /** Resolves the connector's push() promise. */
    private readonly resolve: (outcome: RecordOutcome) => void,
    /** Shared by all records (not a closure per record: thousands are buffered). */
    private readonly onSettled: (pending: PendingRecord, outcome: RecordOutcome) => void,
  ) {
    this.#remaining = deliveries;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** One of its deliveries finished. Ignored once settled (e.g. abandoned at shutdown). */
  deliveryDone(outcome: "delivered" | "dead-lettered"): void {
    if (this.#settled) return;
    if (outcome === "dead-lettered") this.#deadLettered = true;
    this.#remaining -= 1;
    if (this.#remaining === 0) this.#settle(this.#deadLettered ? "dead-lettered" : "delivered");
  }

  /** Shutdown gives it back undelivered, even if some of its deliveries were done. */
  abandon(): void {
    if (!this.#settled) this.#settle("abandoned");
  }

  #settle(outcome: RecordOutcome): void {
    this.#settled = true;
    // Resolve first: the connector's callbacks then run before a waiting stop() resumes.
    this.resolve(outcome);
    this.onSettled(this, outcome);
  }
}
