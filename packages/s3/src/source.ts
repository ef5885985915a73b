/**
 * The S3 connector: finds objects by polling (listing against a checkpoint) or by webhook
 * notifications, pushes one OBS-trigger record per object event, and acknowledges — checkpoint
 * entry, post-delivery action, webhook answer — only once the engine reports the outcome.
 */
import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  ConnectorLag,
  RecordOutcome,
} from "@fgconnect/core";
import { doublingDelayMs, PauseGate } from "@fgconnect/core/internal";
import { type ActionResult, runAfterDelivery } from "./actions.js";
import { type Bucket, createBucket } from "./bucket.js";
import type { CheckpointStore } from "./checkpoint-store.js";
import { inlineContent } from "./content.js";
import { CheckpointError, S3ConnectorError } from "./errors.js";
import { keyFilter } from "./key-filter.js";
import type { SourceServices } from "./mode.js";
import { NotificationSource } from "./notifications.js";
import type { ResolvedS3Options } from "./options.js";
import { checkpointStoreOf, PollingSource } from "./polling.js";
import { obsFormat, type S3Record } from "./record.js";

export type { S3Record } from "./record.js";

/** Test seams: a bucket to use instead of the SDK's, and the clock. */
export interface S3ConnectorDeps {
  bucket?: Bucket;
  now?: () => number;
  /** Wraps the polling checkpoint store, e.g. to fence its commits with a lease. */
  checkpointStore?: (store: CheckpointStore) => CheckpointStore;
}

/** The first wait before connecting again; it doubles up to `startup.retryMaxMs`. */
const FIRST_RETRY_MS = 500;

export class S3Connector implements Connector<S3Record> {
  readonly type = "s3";
  readonly formats = { obs: obsFormat };
  readonly defaultFormat = "obs";

  private readonly bucket: Bucket;
  /** The bucket, prefix and endpoint, for health and logs. */
  private readonly where: string;
  private readonly polling?: PollingSource;
  private readonly notifications?: NotificationSource;
  private ctx?: ConnectorContext<S3Record>;
  private ready = false;
  private stopped = false;
  private readonly pauses = new PauseGate();
  private wake?: () => void;
  private loop?: Promise<void>;
  private pending = 0;
  /** The code of the failure logged last; repeats go to debug until the connector is back. */
  private failing?: string;
  private health_: ConnectorHealth = { connected: false, detail: "not started" };

  constructor(
    readonly name: string,
    private readonly options: ResolvedS3Options,
    deps: S3ConnectorDeps = {},
  ) {
    const bucket = deps.bucket ?? createBucket(options);
    this.bucket = bucket;
    this.where = `s3://${options.bucket}/${options.prefix} at ${bucket.location}`;
    const checkpoint =
      options.mode === "poll" ? checkpointStoreOf(name, options, bucket) : undefined;
    const services: SourceServices = {
      name,
      options,
      bucket,
      where: this.where,
      include: keyFilter(options, checkpoint?.key),
      now: deps.now ?? Date.now,
      logger: () => this.ctx?.logger,
      push: (record) => this.push(record),
      gate: () => this.gate(),
      stopping: () => this.stopped,
      readContent: (key) => this.readContent(key),
      afterDelivery: (key) => this.afterDelivery(key),
    };
    if (checkpoint) {
      const store = deps.checkpointStore
        ? deps.checkpointStore(checkpoint.store)
        : checkpoint.store;
      this.polling = new PollingSource(services, store);
    } else {
      this.notifications = new NotificationSource(services);
    }
  }

  async start(ctx: ConnectorContext<S3Record>): Promise<void> {
    this.ctx = ctx;
    try {
      await this.connect();
    } catch (error) {
      if (this.options.startup.failFast) throw error;
      this.report(error, 0);
    }
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pauses.resume();
    this.wake?.();
    await this.loop;
    await this.notifications?.close();
    await this.polling?.close();
    this.bucket.close();
    this.ready = false;
    this.health_ = { connected: false, detail: "stopped" };
  }

  pause(): void {
    this.pauses.pause();
  }

  resume(): void {
    this.pauses.resume();
  }

  health(): ConnectorHealth {
    return { ...this.health_ };
  }

  async lag(): Promise<ConnectorLag> {
    return { total: this.pending };
  }

  /** The webhook's URL in notifications mode, once listening. */
  get notificationUrl(): string | undefined {
    return this.notifications?.url;
  }

  /** Proves the bucket answers and loads the checkpoint (polling) or opens the webhook. */
  private async connect(): Promise<void> {
    const detail = await (this.polling ?? this.notifications)!.connect();
    this.ready = true;
    this.health_ = { connected: true, detail };
    if (this.failing !== undefined) {
      const checkpoint = this.failing === "CHECKPOINT_INVALID";
      this.failing = undefined;
      this.ctx?.logger.info(
        { connector: this.name, bucket: this.options.bucket, detail },
        checkpoint ? "S3 checkpoint usable again" : "S3 bucket available again",
      );
    } else {
      this.ctx?.logger.info({ connector: this.name, detail }, "S3 connector ready");
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (!this.ready) {
        await this.sleep(this.backoff(failures));
        if (this.stopped) break;
        try {
          await this.connect();
          failures = 0;
        } catch (error) {
          this.report(error, ++failures);
          continue;
        }
      }
      if (!this.polling) {
        await this.sleep(Number.POSITIVE_INFINITY);
        continue;
      }
      try {
        const result = await this.polling.poll();
        failures = 0;
        this.ctx?.logger.debug({ connector: this.name, ...result }, "poll done");
        this.health_ = {
          connected: true,
          detail: `${this.where}: ${result.tracked} objects tracked, last poll pushed ${result.pushed}`,
        };
        if (!result.truncated) await this.sleep(this.options.poll.intervalMs);
      } catch (error) {
        // Connect again (check the bucket, reload the checkpoint) before the next poll.
        this.ready = false;
        this.report(error, ++failures);
      }
    }
  }

  private push(record: S3Record): Promise<RecordOutcome> {
    this.pending++;
    return this.ctx!.push(record).finally(() => {
      this.pending--;
    });
  }

  private async readContent(key: string) {
    const content = await this.bucket.read(key, this.options.content.maxBytes);
    return content ? inlineContent(content.body, content.contentType) : undefined;
  }

  /** Runs the post-delivery action; a failure is logged, never redelivers the object. */
  private async afterDelivery(key: string): Promise<ActionResult> {
    if (this.options.afterDelivery.action === "none") return "kept";
    try {
      return await runAfterDelivery(this.bucket, this.options, key);
    } catch (error) {
      this.ctx?.logger.warn(
        {
          connector: this.name,
          key,
          action: this.options.afterDelivery.action,
          ...describe(error),
        },
        "post-delivery action failed; the object stays delivered",
      );
      return "kept";
    }
  }

  /** Resolves when pushing is allowed (not paused, or stopping). */
  private gate(): Promise<void> {
    return this.stopped ? Promise.resolve() : this.pauses.wait();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      this.wake = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  /** The same backoff as core's start retry, from 0.5 s up to `startup.retryMaxMs`. */
  private backoff(failures: number): number {
    return doublingDelayMs(failures, FIRST_RETRY_MS, this.options.startup.retryMaxMs);
  }

  /**
   * A failure to reach the bucket or use the checkpoint: logged once (warn; error for a
   * checkpoint that needs fixing by hand) with the reason, then at debug while it lasts;
   * `connect` logs one info line when the connector is back.
   */
  private report(error: unknown, failures: number): void {
    const info = describe(error);
    const retryInMs = this.backoff(failures);
    this.health_ = { connected: false, detail: `${info.err}${info.hint ? ` — ${info.hint}` : ""}` };
    const fields = { connector: this.name, bucket: this.options.bucket, ...info, retryInMs };
    const logger = this.ctx?.logger;
    const code = info.code ?? info.err;
    if (this.failing === code) {
      logger?.debug({ ...fields, attempt: failures }, "S3 source still unavailable; retrying");
      return;
    }
    this.failing = code;
    if (error instanceof CheckpointError) {
      logger?.error(
        { ...fields, checkpoint: error.location },
        "S3 checkpoint cannot be used; polling waits until it is fixed",
      );
    } else {
      logger?.warn(fields, "S3 bucket unavailable; retrying");
    }
  }
}

function describe(error: unknown): { err: string; code?: string; hint?: string } {
  if (error instanceof S3ConnectorError)
    return { err: error.message, code: error.code, hint: error.hint };
  return { err: error instanceof Error ? error.message : String(error) };
}
