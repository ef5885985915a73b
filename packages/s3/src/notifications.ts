/** The notification source: a webhook that pushes one record per object event it is sent. */
import type { RecordOutcome } from "@fgconnect/core";
import { decodeEventKey, encodeEventKey } from "./event-key.js";
import type { S3Mode, SourceServices } from "./mode.js";
import type { NotificationRecord } from "./notification-records.js";
import type { ObsEventRecord } from "./payload.js";
import { s3Record } from "./record.js";
import { type NotificationOutcome, startWebhook, type Webhook } from "./webhook.js";

export class NotificationSource implements S3Mode {
  private webhook?: Webhook;

  constructor(private readonly s: SourceServices) {}

  /** The webhook's URL, once listening. */
  get url(): string | undefined {
    return this.webhook?.url;
  }

  async connect(): Promise<string> {
    const o = this.s.options;
    if (o.afterDelivery.action !== "none" || o.content.inline) await this.s.bucket.check(o.prefix);
    this.webhook ??= await this.open();
    return `${this.s.where}: notifications at ${this.webhook.url}`;
  }

  async close(): Promise<void> {
    await this.webhook?.close();
  }

  private open(): Promise<Webhook> {
    const n = this.s.options.notifications;
    return startWebhook({
      host: n.host,
      port: n.port,
      path: n.path,
      secret: n.secret!,
      header: n.header,
      maxBodyBytes: n.maxBodyBytes,
      onRecords: (records) => this.onNotification(records),
      onRejected: (status, reason) =>
        this.s.logger()?.warn({ connector: this.s.name, status, reason }, "notification refused"),
    });
  }

  private async onNotification(records: NotificationRecord[]): Promise<NotificationOutcome> {
    const o = this.s.options;
    const outcomes: Promise<RecordOutcome>[] = [];
    let ignored = 0;
    for (const r of records) {
      const key = o.notifications.keysUrlEncoded
        ? decodeEventKey(r.s3.object.key)
        : r.s3.object.key;
      if (r.s3.bucket.name !== o.bucket || !this.s.include(key)) {
        ignored++;
        this.s
          .logger()
          ?.debug(
            { connector: this.s.name, bucket: r.s3.bucket.name, key },
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
          ? await this.s.readContent(key)
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
      await this.s.gate();
      const record = s3Record(body, {
        source: this.s.name,
        bucket: o.bucket,
        key,
        change: "notification",
        etag: r.s3.object.eTag,
        sequencer: r.s3.object.sequencer,
        eventTime: r.eventTime,
        now: this.s.now,
      });
      outcomes.push(
        this.s.push(record).then(async (outcome) => {
          if (outcome === "delivered" && created) await this.s.afterDelivery(key);
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
}
