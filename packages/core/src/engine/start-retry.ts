import type { AsyncInvokeResult, InvokeResult } from "../client/types.js";
import { doublingDelayMs } from "../connection/backoff.js";
import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  ConnectorLag,
  FormatInfo,
  SourceRecord,
} from "../connector.js";
import type { DeadLetterEntry, DeadLetterSink } from "../dead-letters.js";
import { type Clock, systemClock } from "./clock.js";
import { type Logger, silentLogger } from "./logger.js";

export interface StartRetryOptions {
  /** Wait before the first retry, ms (default 1 000); it doubles up to `maxDelayMs`. */
  firstDelayMs?: number;
  /** Longest wait between retries, ms (default 60 000). */
  maxDelayMs?: number;
  logger?: Logger;
  clock?: Clock;
}

/**
 * A connector that never fails to start: when the source cannot be reached (a dead broker,
 * a missing bucket, wrong credentials), it reports itself not connected with the reason, and
 * tries again with a fresh instance from `create`, backing off, until it starts or is stopped.
 * The daemon wraps every connector in it, so one unreachable source neither stops the others
 * nor sends the process into a crash loop; `/readyz` says what is wrong.
 */
export function withStartRetry<R extends SourceRecord>(
  create: () => Connector<R>,
  options: StartRetryOptions = {},
): Connector<R> {
  return new StartRetryConnector(create, options);
}

class StartRetryConnector<R extends SourceRecord> implements Connector<R> {
  readonly name: string;
  readonly type: string;
  readonly formats: Connector<R>["formats"];
  readonly defaultFormat: string;
  readonly deadLetter?: DeadLetterSink<R>;
  readonly #create: () => Connector<R>;
  readonly #first: number;
  readonly #max: number;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #current: Connector<R>;
  #ctx?: ConnectorContext<R>;
  #started = false;
  #stopped = false;
  #paused = false;
  readonly #pausedKeys = new Set<string>();
  #failures = 0;
  #timer: unknown;
  #problem = "starting";

  constructor(create: () => Connector<R>, options: StartRetryOptions) {
    this.#create = create;
    this.#first = options.firstDelayMs ?? 1000;
    this.#max = options.maxDelayMs ?? 60_000;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#current = create();
    this.name = this.#current.name;
    this.type = this.#current.type;
    this.formats = this.#current.formats;
    this.defaultFormat = this.#current.defaultFormat;
    // Routes bind these once; they forward to whichever instance is running.
    if (this.#current.deadLetter) {
      this.deadLetter = {
        write: (entry: DeadLetterEntry, record: R) =>
          this.#current.deadLetter!.write(entry, record),
      };
    }
    if (!this.#current.onResult) this.onResult = undefined;
    if (!this.#current.pauseKey || !this.#current.resumeKey) {
      this.pauseKey = undefined;
      this.resumeKey = undefined;
    }
    if (!this.#current.onAccepted) this.onAccepted = undefined;
    if (!this.#current.lag) this.lag = undefined;
  }

  async start(ctx: ConnectorContext<R>): Promise<void> {
    this.#ctx = ctx;
    await this.#attempt();
  }

  async #attempt(): Promise<void> {
    const instance = this.#current;
    try {
      await instance.start(this.#ctx!);
    } catch (error) {
      // Release whatever the failed start opened, then try a fresh instance later.
      await instance.stop().catch(() => undefined);
      if (this.#stopped) return;
      this.#failures += 1;
      const delayMs = doublingDelayMs(this.#failures, this.#first, this.#max);
      this.#problem = `could not start: ${messageOf(error)}; retrying in ${Math.round(delayMs / 1000)} s`;
      // An unreachable source is an ordinary fault: one warn line, the reason, no stack.
      this.#logger.warn(
        {
          connector: this.name,
          type: this.type,
          attempt: this.#failures,
          retryInMs: delayMs,
          reason: messageOf(error),
          hint: hintOf(error),
        },
        "connector could not start; retrying",
      );
      this.#current = this.#create();
      this.#timer = this.#clock.setTimeout(() => void this.#attempt(), delayMs);
      return;
    }
    if (this.#stopped) {
      await instance.stop();
      return;
    }
    this.#started = true;
    if (this.#failures > 0)
      this.#logger.info(
        { connector: this.name, attempts: this.#failures + 1 },
        "connector started",
      );
    if (this.#paused) instance.pause();
    for (const key of this.#pausedKeys) instance.pauseKey?.(key);
  }

  pause(): void {
    this.#paused = true;
    if (this.#started) this.#current.pause();
  }

  resume(): void {
    this.#paused = false;
    if (this.#started) this.#current.resume();
  }

  pauseKey?: (key: string) => void = (key) => {
    this.#pausedKeys.add(key);
    if (this.#started) this.#current.pauseKey?.(key);
  };

  resumeKey?: (key: string) => void = (key) => {
    this.#pausedKeys.delete(key);
    if (this.#started) this.#current.resumeKey?.(key);
  };

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    if (this.#started) await this.#current.stop();
  }

  health(): ConnectorHealth {
    return this.#started ? this.#current.health() : { connected: false, detail: this.#problem };
  }

  lag?: () => Promise<ConnectorLag> = () =>
    this.#started && this.#current.lag ? this.#current.lag() : Promise.resolve({ total: 0 });

  onResult?: (records: readonly R[], result: InvokeResult, info: FormatInfo) => Promise<void> = (
    records,
    result,
    info,
  ) => this.#current.onResult!(records, result, info);

  onAccepted?: (
    records: readonly R[],
    result: AsyncInvokeResult,
    info: FormatInfo,
  ) => Promise<void> = (records, result, info) => this.#current.onAccepted!(records, result, info);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hintOf(error: unknown): string | undefined {
  const hint = (error as { hint?: unknown } | null)?.hint;
  return typeof hint === "string" ? hint : undefined;
}
