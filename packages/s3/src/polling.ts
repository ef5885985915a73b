/** The polling source: lists the prefix against a checkpoint and pushes what changed. */
import type { CheckpointTruncation } from "./checkpoint-file.js";
import {
  BucketCheckpointStore,
  type CheckpointStore,
  FileCheckpointStore,
} from "./checkpoint-store.js";
import { entriesOf, objectsOf } from "./diff.js";
import type { S3Mode, SourceServices } from "./mode.js";
import type { ResolvedS3Options } from "./options.js";
import { type ObjectEvent, obsEventRecord, sequencerOf } from "./payload.js";
import { type EventChange, runPollCycle, type Settlement } from "./poll-cycle.js";
import { s3Record } from "./record.js";

/** The checkpoint store of a polling connector, and the checkpoint object's key when in the bucket. */
export function checkpointStoreOf(
  name: string,
  options: ResolvedS3Options,
  bucket: SourceServices["bucket"],
): { store: CheckpointStore; key?: string } {
  const scope = { bucket: options.bucket, prefix: options.prefix };
  if (options.checkpoint.store === "bucket") {
    const key = options.checkpoint.key ?? `.fgconnect/checkpoints/${name}`;
    return { store: new BucketCheckpointStore(bucket, key, scope), key };
  }
  const path = options.checkpoint.path ?? `.fgconnect/s3-${name}.checkpoint`;
  return { store: new FileCheckpointStore(path, scope) };
}

export class PollingSource implements S3Mode {
  private firstRun = false;

  constructor(
    private readonly s: SourceServices,
    private readonly store: CheckpointStore,
  ) {}

  async connect(): Promise<string> {
    const o = this.s.options;
    await this.s.bucket.check(o.prefix);
    const checkpoint = await this.store.load();
    this.firstRun = !checkpoint.exists;
    if (checkpoint.truncated) this.reportTruncated(checkpoint.truncated);
    return `${this.s.where}: polling every ${o.poll.intervalMs} ms`;
  }

  /** One poll; `truncated` when it stopped at `maxObjectsPerPoll` (poll again at once). */
  async poll() {
    const o = this.s.options;
    const store = this.store;
    let pages = 0;
    const result = await runPollCycle({
      listing: objectsOf(
        this.s.bucket.list(o.prefix, o.poll.pageSize),
        this.s.include,
        () => pages++,
      ),
      checkpoint: entriesOf(store.entries(), this.s.include),
      store,
      options: {
        maxEvents: o.poll.maxObjectsPerPoll,
        changes: o.poll.changes,
        deletions: o.poll.deletions,
        skipCreated: this.firstRun && o.poll.initialScan === "skip",
      },
      emit: (change) => this.emit(change),
      gate: () => this.s.gate(),
      stopping: () => this.s.stopping(),
    });
    this.firstRun = false;
    return { ...result, pages };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private async emit(change: EventChange): Promise<{ settled: Promise<Settlement> }> {
    const o = this.s.options;
    const now = this.s.now();
    const event: ObjectEvent =
      change.kind === "deleted"
        ? {
            eventName: "ObjectRemoved:Delete",
            eventTime: new Date(now).toISOString(),
            region: o.region,
            bucket: o.bucket,
            key: change.key,
            sequencer: sequencerOf(now),
            configurationId: this.s.name,
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
            configurationId: this.s.name,
            content:
              o.content.inline && change.object.size <= o.content.maxBytes
                ? await this.s.readContent(change.object.key)
                : undefined,
          };
    const record = s3Record(obsEventRecord(event), {
      source: this.s.name,
      bucket: o.bucket,
      key: event.key,
      change: change.kind,
      etag: change.kind === "deleted" ? undefined : change.object.etag,
      now: this.s.now,
    });
    const settled = this.s.push(record).then(async (o): Promise<Settlement> => {
      if (o === "abandoned") return "revert";
      if (o === "delivered" && change.kind !== "deleted") {
        return (await this.s.afterDelivery(event.key)) === "removed" ? "remove" : "keep";
      }
      return "keep";
    });
    return { settled };
  }

  /** A checkpoint cut short still works: say what it lost, so redeliveries are no surprise. */
  private reportTruncated(truncated: CheckpointTruncation): void {
    this.s.logger()?.warn(
      {
        connector: this.s.name,
        checkpoint: this.store.location,
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
