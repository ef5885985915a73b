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
  JsonValue,
  PayloadFormat,
  RecordOutcome,
  SourceRecord,
} from "@fgconnect/core";
import { type ActionResult, runAfterDelivery } from "./actions.js";
import { type Bucket, createBucket } from "./bucket.js";
import type { CheckpointTruncation } from "./checkpoint-file.js";
import {
  BucketCheckpointStore,
  type CheckpointStore,
  FileCheckpointStore,
} from "./checkpoint-store.js";
import { inlineContent } from "./content.js";
import { entriesOf, objectsOf } from "./diff.js";
import { CheckpointError, S3ConnectorError } from "./errors.js";
import { decodeEventKey, encodeEventKey } from "./event-key.js";
import { keyFilter } from "./key-filter.js";
import type { NotificationRecord } from "./notification-records.js";
import type { ResolvedS3Options } from "./options.js";
import {
  type ObjectEvent,
  type ObsEventRecord,
  obsEvent,
  obsEventRecord,
  sequencerOf,
} from "./payload.js";
import { type EventChange, runPollCycle, type Settlement } from "./poll-cycle.js";
import { type NotificationOutcome, startWebhook, type Webhook } from "./webhook.js";

/** One object event, as the engine sees it: its body is one entry of the OBS event's `Records`. */
export interface S3Record extends SourceRecord {
  readonly body: JsonValue;
  readonly attributes: {
    bucket: string;
    key: string;
    eventName: string;
    /** created, changed or deleted (polling), or notification. */
    change: string;
    size?: number;
    etag?: string;
  };
}

const obsFormat: PayloadFormat<S3Record> = {
  description:
    "FunctionGraph's OBS-trigger event (the S3 notification shape): one entry in Records per object event of the batch.",
  build: (records) => obsEvent(records),
};

/** Test seams: a bucket to use instead of the SDK's, and the clock. */
export interface S3ConnectorDeps {
  bucket?: Bucket;
  now?: () => number;
  /** Wraps the polling checkpoint store, e.g. to fence its commits with a lease. */
  checkpointStore?: (store: CheckpointStore) => CheckpointStore;
}

export class S3Connector implements Connector<S3Record> {
  readonly type = "s3";
  readonly formats = { obs: obsFormat };
  readonly defaultFormat = "obs";

  private readonly bucket: Bucket;
  private readonly store: CheckpointStore | undefined;
  private readonly include: (key: string) => boolean;
  private readonly now: () => number;
  private ctx?: ConnectorContext<S3Record>;
  private ready = false;
  private firstRun = false;
  private stopped = false;
  private paused = false;
  private resumeWaiters: (() => void)[] = [];
  private wake?: () => void;
  private loop?: Promise<void>;
  private webhook?: Webhook;
  private pending = 0;
  /** The code of the failure logged last; repeats go to debug until the connector is back. */
  private failing?: string;
  private health_: ConnectorHealth = { connected: false, detail: "not started" };

  constructor(
    readonly name: string,
    private readonly options: ResolvedS3Options,
    deps: S3ConnectorDeps = {},
  ) {
    this.bucket = deps.bucket ?? createBucket(options);
    this.now = deps.now ?? Date.now;
    const scope = { bucket: options.bucket, prefix: options.prefix };
    let checkpointKey: string | undefined;
    if (options.mode === "poll") {
      if (options.checkpoint.store === "bucket") {
        checkpointKey = options.checkpoint.key ?? `.fgconnect/checkpoints/${name}`;
        this.store = new BucketCheckpointStore(this.bucket, checkpointKey, scope);
      } else {
        this.store = new FileCheckpointStore(
          options.checkpoint.path ?? `.fgconnect/s3-${name}.checkpoint`,
          scope,
        );
      }
    }
    if (this.store && deps.checkpointStore) this.store = deps.checkpointStore(this.store);
    this.include = keyFilter(options, checkpointKey);
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

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const wake of this.resumeWaiters.splice(0)) wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resume();
    this.wake?.();
    await this.loop;
    await this.webhook?.close();
    await this.store?.close();
    this.bucket.close();
    this.ready = false;
    this.health_ = { connected: false, detail: "stopped" };
  }

  health(): ConnectorHealth {
    return { ...this.health_ };
  }

  async lag(): Promise<ConnectorLag> {
    return { total: this.pending };
  }

  /** The webhook's URL in notifications mode, once listening. */
  get notificationUrl(): string | undefined {
    return this.webhook?.url;
  }

  private get where(): string {
    return `s3://${this.options.bucket}/${this.options.prefix} at ${this.bucket.location}`;
  }

  /** Proves the bucket answers and loads the checkpoint (polling) or opens the webhook. */
  private async connect(): Promise<void> {
    const o = this.options;
    if (o.mode === "poll") {
      await this.bucket.check(o.prefix);
      const checkpoint = await this.store!.load();
      this.firstRun = !checkpoint.exists;
      if (checkpoint.truncated) this.reportTruncated(checkpoint.truncated);
      this.ready = true;
      this.health_ = {
        connected: true,
        detail: `${this.where}: polling every ${o.poll.intervalMs} ms`,
      };
    } else {
      if (o.afterDelivery.action !== "none" || o.content.inline) await this.bucket.check(o.prefix);
      this.webhook ??= await this.openWebhook();
      this.ready = true;
      this.health_ = {
        connected: true,
        detail: `${this.where}: notifications at ${this.webhook.url}`,
      };
    }
    if (this.failing !== undefined) {
      const checkpoint = this.failing === "CHECKPOINT_INVALID";
      this.failing = undefined;
      this.ctx?.logger.info(
        { connector: this.name, bucket: o.bucket, detail: this.health_.detail },
        checkpoint ? "S3 checkpoint usable again" : "S3 bucket available again",
      );
    } else {
      this.ctx?.logger.info(
        { connector: this.name, detail: this.health_.detail },
        "S3 connector ready",
      );
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
      if (this.options.mode === "notifications") {
        await this.sleep(Number.POSITIVE_INFINITY);
        continue;
      }
      try {
        const result = await this.pollOnce();
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

  private async pollOnce() {
    const o = this.options;
    const store = this.store!;
    let pages = 0;
    const result = await runPollCycle({
      listing: objectsOf(this.bucket.list(o.prefix, o.poll.pageSize), this.include, () => pages++),
      checkpoint: entriesOf(store.entries(), this.include),
      store,
      options: {
        maxEvents: o.poll.maxObjectsPerPoll,
        changes: o.poll.changes,
        deletions: o.poll.deletions,
        skipCreated: this.firstRun && o.poll.initialScan === "skip",
      },
      emit: (change) => this.emitPolled(change),
      gate: () => this.gate(),
      stopping: () => this.stopped,
    });
    this.firstRun = false;
    return { ...result, pages };
  }

  private async emitPolled(change: EventChange): Promise<{ settled: Promise<Settlement> }> {
    const o = this.options;
    const now = this.now();
    const event: ObjectEvent =
      change.kind === "deleted"
        ? {
            eventName: "ObjectRemoved:Delete",
            eventTime: new Date(now).toISOString(),
            region: o.region,
            bucket: o.bucket,
            key: change.key,
            sequencer: sequencerOf(now),
            configurationId: this.name,
          }
        : {
            eventName: "ObjectCreated:Put",
            eventTime: new Date(change.object.lastModified || now).toISOString(),
            region: o.region,
            bucket: o.bucket,
            key: change.object.key,
            size: change.object.size,
            etag: change.object.etag,
            sequencer: sequencerOf(change.object.lastModified || now),
            configurationId: this.name,
            content:
              o.content.inline && change.object.size <= o.content.maxBytes
                ? await this.readContent(change.object.key)
                : undefined,
          };
    const body = obsEventRecord(event);
    const record = this.record(
      body,
      event.key,
      change.kind,
      change.kind === "deleted" ? undefined : change.object.etag,
    );
    const outcome = this.push(record);
    const settled = outcome.then(async (o): Promise<Settlement> => {
      if (o === "abandoned") return "revert";
      if (o === "delivered" && change.kind !== "deleted") {
        return (await this.afterDelivery(event.key)) === "removed" ? "remove" : "keep";
      }
      return "keep";
    });
    return { settled };
  }

  private async onNotification(records: NotificationRecord[]): Promise<NotificationOutcome> {
    const o = this.options;
    const outcomes: Promise<RecordOutcome>[] = [];
    let ignored = 0;
    for (const r of records) {
      const key = o.notifications.keysUrlEncoded
        ? decodeEventKey(r.s3.object.key)
        : r.s3.object.key;
      if (r.s3.bucket.name !== o.bucket || !this.include(key)) {
        ignored++;
        this.ctx?.logger.debug(
          { connector: this.name, bucket: r.s3.bucket.name, key },
          "notification for another bucket or key ignored",
        );
        continue;
      }
      // MinIO names events "s3:ObjectCreated:Put"; the OBS trigger (like AWS S3) "ObjectCreated:Put".
      const eventName = r.eventName.replace(/^s3:/, "");
      const created = eventName.startsWith("ObjectCreated:");
      const size = r.s3.object.size;
      const content =
        created && o.content.inline && (size === undefined || size <= o.content.maxBytes)
          ? await this.readContent(key)
          : undefined;
      // Senders differ in how they encode keys (MinIO also encodes "/"): one form goes out.
      const body = {
        ...r,
        eventName,
        s3: {
          ...r.s3,
          object: { ...r.s3.object, key: encodeEventKey(key), ...(content ?? {}) },
        },
      } as unknown as ObsEventRecord;
      await this.gate();
      const record = this.record(
        body,
        key,
        "notification",
        r.s3.object.eTag,
        r.s3.object.sequencer,
        r.eventTime,
      );
      outcomes.push(
        this.push(record).then(async (outcome) => {
          if (outcome === "delivered" && created) await this.afterDelivery(key);
          return outcome;
        }),
      );
    }
    const results = await Promise.all(outcomes);
    return {
      acknowledged: results.every((r) => r !== "abandoned"),
      accepted: outcomes.length,
      ignored,
    };
  }

  private record(
    body: ObsEventRecord,
    key: string,
    change: string,
    etag: string | undefined,
    sequencer = body.s3.object.sequencer,
    eventTime?: string,
  ): S3Record {
    const size = body.s3.object.size;
    const parsedTime = eventTime ? Date.parse(eventTime) : Number.NaN;
    return {
      id: `${this.options.bucket}/${key}@${change === "deleted" ? `deleted:${sequencer}` : (etag ?? sequencer ?? "")}`,
      source: this.name,
      attributes: {
        bucket: this.options.bucket,
        key,
        eventName: body.eventName,
        change,
        ...(size === undefined ? {} : { size }),
        ...(etag === undefined ? {} : { etag }),
      },
      body: body as unknown as JsonValue,
      // A poll pushes each key at most once and the next poll waits for every outcome, so
      // polled events need no ordering key (and batch freely); notifications may repeat a key.
      ...(change === "notification" ? { orderingKey: key } : {}),
      timestamp: Number.isFinite(parsedTime) ? parsedTime : this.now(),
      size: 512 + key.length + (body.s3.object.content?.length ?? 0),
    };
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

  private openWebhook(): Promise<Webhook> {
    const n = this.options.notifications;
    return startWebhook({
      host: n.host,
      port: n.port,
      path: n.path,
      secret: n.secret!,
      header: n.header,
      maxBodyBytes: n.maxBodyBytes,
      onRecords: (records) => this.onNotification(records),
      onRejected: (status, reason) =>
        this.ctx?.logger.warn({ connector: this.name, status, reason }, "notification refused"),
    });
  }

  /** Resolves when pushing is allowed (not paused, or stopping). */
  private gate(): Promise<void> {
    if (!this.paused || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.resumeWaiters.push(resolve));
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

  private backoff(failures: number): number {
    return Math.min(this.options.startup.retryMaxMs, 500 * 2 ** Math.max(0, failures - 1));
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

  /** A checkpoint cut short still works: say what it lost, so redeliveries are no surprise. */
  private reportTruncated(truncated: CheckpointTruncation): void {
    this.ctx?.logger.warn(
      {
        connector: this.name,
        checkpoint: this.store!.location,
        entriesRecovered: truncated.entries,
        lastKeyRecovered: truncated.lastKey ?? null,
        hint: "Nothing to do: the next poll writes a complete checkpoint. If it recurs, check the disk (checkpoint.path) or who else writes the checkpoint object.",
      },
      truncated.lastKey === undefined
        ? "S3 checkpoint was cut short and holds no entry: every object under the prefix is delivered again"
        : "S3 checkpoint was cut short: its entries up to lastKeyRecovered are used; objects after that key are delivered again",
    );
  }
}

function describe(error: unknown): { err: string; code?: string; hint?: string } {
  if (error instanceof S3ConnectorError)
    return { err: error.message, code: error.code, hint: error.hint };
  return { err: error instanceof Error ? error.message : String(error) };
}
