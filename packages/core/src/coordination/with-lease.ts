/**
 * A connector that acts only while this replica holds its lease. To the engine it is one
 * long-lived connector (started once, stopped once); inside, each term of the lease gets a fresh
 * inner connector: started when the lease is gained, and when it is lost paused, drained (every
 * record it pushed has its outcome) and stopped, before the lease is released for the others.
 */
import type { InvokeResult } from "../client/types.js";
import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  ConnectorLag,
  FormatInfo,
  RecordOutcome,
  SourceRecord,
} from "../connector.js";
import type { DeadLetterEntry, DeadLetterSink } from "../dead-letters.js";
import { type Logger, silentLogger } from "../engine/logger.js";
import { messageOf } from "./errors.js";
import type { Lease, LeaseTerm } from "./lease-contract.js";

export interface WithLeaseOptions {
  logger?: Logger;
}

/**
 * `create` is called once up front for the connector's name, type and formats (that instance is
 * never started), then once per term of the lease.
 */
export function withLease<R extends SourceRecord>(
  lease: Lease,
  create: (term: LeaseTerm | undefined) => Connector<R>,
  options: WithLeaseOptions = {},
): Connector<R> {
  return new LeasedConnector(lease, create, options.logger ?? silentLogger);
}

class LeasedConnector<R extends SourceRecord> implements Connector<R> {
  readonly name: string;
  readonly type: string;
  readonly formats: Connector<R>["formats"];
  readonly defaultFormat: string;
  readonly deadLetter?: DeadLetterSink<R>;
  #ctx?: ConnectorContext<R>;
  #inner?: Connector<R>;
  #term?: LeaseTerm;
  #innerPaused = false;
  #enginePaused = false;
  #stopped = false;
  #inFlight = new Set<Promise<RecordOutcome>>();
  /** Gains and losses are handled one after another, in order. */
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly lease: Lease,
    private readonly create: (term: LeaseTerm | undefined) => Connector<R>,
    private readonly logger: Logger,
  ) {
    const shape = create(undefined);
    this.name = shape.name;
    this.type = shape.type;
    this.formats = shape.formats;
    this.defaultFormat = shape.defaultFormat;
    if (shape.deadLetter) {
      this.deadLetter = {
        write: (entry: DeadLetterEntry, record: R) => {
          if (!this.#inner?.deadLetter) throw new Error(`${this.name}: no active dead-letter sink`);
          return this.#inner.deadLetter.write(entry, record);
        },
      };
    }
    if (!shape.onResult) this.onResult = undefined;
  }

  async start(ctx: ConnectorContext<R>): Promise<void> {
    this.#ctx = ctx;
    this.lease.onGained((term) => this.#enqueue(() => this.#activate(term)));
    this.lease.onLost((term) => this.#enqueue(() => this.#deactivate(term)));
    this.lease.start();
  }

  pause(): void {
    this.#enginePaused = true;
    if (this.#inner && !this.#innerPaused) {
      this.#innerPaused = true;
      this.#inner.pause();
    }
  }

  resume(): void {
    this.#enginePaused = false;
    if (this.#inner && this.#innerPaused && this.#term?.active) {
      this.#innerPaused = false;
      this.#inner.resume();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#chain;
    if (this.#term) await this.#deactivate(this.#term);
    await this.lease.stop();
  }

  health(): ConnectorHealth {
    const engine = this.lease.health();
    if (!engine.connected)
      return { connected: false, detail: `no lease: coordination engine ${engine.detail}` };
    if (this.#inner && this.#term) {
      const h = this.#inner.health();
      return {
        connected: h.connected,
        detail: `lease held (token ${this.#term.token})${h.detail ? `; ${h.detail}` : ""}`,
      };
    }
    return { connected: true, detail: "standby: another replica holds the lease" };
  }

  lag(): Promise<ConnectorLag> {
    return this.#inner?.lag ? this.#inner.lag() : Promise.resolve({ total: 0 });
  }

  onResult?: (records: readonly R[], result: InvokeResult, info: FormatInfo) => Promise<void> = (
    records,
    result,
    info,
  ) => this.#inner?.onResult?.(records, result, info) ?? Promise.resolve();

  #enqueue(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(step).catch((error: unknown) => {
      this.logger.error({ connector: this.name, err: messageOf(error) }, "lease handover failed");
    });
  }

  async #activate(term: LeaseTerm): Promise<void> {
    if (this.#stopped || !term.active) return;
    const inner = this.create(term);
    this.#inner = inner;
    this.#term = term;
    this.#innerPaused = false;
    const ctx = this.#ctx!;
    try {
      await inner.start({
        logger: ctx.logger,
        push: (record) => this.#push(term, record),
      });
    } catch (error) {
      this.logger.warn(
        { connector: this.name, err: messageOf(error) },
        "connector could not start on gaining its lease; handing the lease back",
      );
      await inner.stop().catch(() => undefined);
      this.#inner = undefined;
      this.#term = undefined;
      await this.lease.release(term);
      return;
    }
    if (this.#enginePaused && !this.#innerPaused) {
      this.#innerPaused = true;
      inner.pause();
    }
  }

  #push(term: LeaseTerm, record: R): Promise<RecordOutcome> {
    // Past the term's local deadline nothing more goes out: given back, the source keeps it.
    if (!term.active) return Promise.resolve("abandoned");
    const outcome = this.#ctx!.push(record);
    this.#inFlight.add(outcome);
    void outcome.then(() => this.#inFlight.delete(outcome));
    return outcome;
  }

  async #deactivate(term: LeaseTerm): Promise<void> {
    if (this.#term !== term || !this.#inner) {
      await this.lease.release(term);
      return;
    }
    const inner = this.#inner;
    if (!this.#innerPaused) {
      this.#innerPaused = true;
      inner.pause();
    }
    // Every record the inner pushed has its outcome before it is stopped (its contract).
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    await inner.stop().catch((error: unknown) => {
      this.logger.warn({ connector: this.name, err: messageOf(error) }, "error stopping connector");
    });
    this.#inner = undefined;
    this.#term = undefined;
    await this.lease.release(term);
  }
}
