/**
 * One poll: merge the listing with the checkpoint, push an event per created, changed (and
 * optionally deleted) object, write the successor checkpoint as the merge goes, wait for every
 * pushed event's outcome, put back what was abandoned, and commit. Memory: the pending events
 * of this poll (at most `maxEvents`), never the whole bucket.
 */
import type { ListedObject } from "./bucket.js";
import type { CheckpointEntry, CheckpointWriter } from "./checkpoint-file.js";
import type { CheckpointStore } from "./checkpoint-store.js";
import { type Change, diffListing } from "./diff.js";
import { compareKeys } from "./key-order.js";

/** A change that becomes an event. */
export type EventChange = Extract<Change, { kind: "created" | "changed" | "deleted" }>;

/**
 * What the checkpoint should say of a key once its event has an outcome: `keep` the entry
 * written for it, `remove` it (a post-delivery action moved or deleted the object), or `revert`
 * to what it was before this poll (the event was abandoned, so it must come again).
 */
export type Settlement = "keep" | "remove" | "revert";

export interface PollCycleOptions {
  maxEvents: number;
  changes: boolean;
  deletions: boolean;
  /** First run with initialScan skip: record existing objects without events. */
  skipCreated: boolean;
}

export interface PollCycleDeps {
  listing: AsyncIterable<ListedObject>;
  store: CheckpointStore;
  checkpoint: AsyncIterable<CheckpointEntry>;
  options: PollCycleOptions;
  /** Prepares and pushes one event; resolves once pushed, with the promise of its settlement. */
  emit(change: EventChange): Promise<{ settled: Promise<Settlement> }>;
  /** Resolves when the source may push (not paused). */
  gate(): Promise<void>;
  stopping(): boolean;
}

export interface PollCycleResult {
  /** Keys in the new checkpoint. */
  tracked: number;
  pushed: number;
  /** Events were left for the next poll (maxEvents reached). */
  truncated: boolean;
}

export async function runPollCycle(deps: PollCycleDeps): Promise<PollCycleResult> {
  const { options } = deps;
  let writer = await deps.store.writer();
  const reverts = new Map<string, string | null>();
  const settling: Promise<void>[] = [];
  let pushed = 0;
  let truncated = false;

  const emit = async (change: EventChange, before: string | null): Promise<void> => {
    const { settled } = await deps.emit(change);
    pushed++;
    settling.push(
      settled.then((s) => {
        if (s === "revert") reverts.set(keyOf(change), before);
        else if (s === "remove" && change.kind !== "deleted") reverts.set(keyOf(change), null);
      }),
    );
  };

  // A failure of the listing arrives after the diff carried the rest of the checkpoint over:
  // the successor is complete and can be committed. Any other failure leaves it incomplete.
  let listingFailure: unknown;
  let otherFailure: unknown;
  const changes = diffListing(deps.listing, deps.checkpoint, deps.stopping);
  try {
    for await (const change of changes) {
      try {
        await handle(change);
      } catch (error) {
        otherFailure = error;
        break;
      }
    }
  } catch (error) {
    listingFailure = error;
  }
  // Whatever happened, what was pushed is acknowledged only once its outcome is known.
  await Promise.all(settling);
  try {
    if (otherFailure !== undefined) throw otherFailure;
    if (reverts.size > 0) writer = await applyReverts(deps.store, writer, reverts);
    const tracked = writer.count;
    await deps.store.commit(writer);
    if (listingFailure !== undefined) throw listingFailure;
    return { tracked, pushed, truncated };
  } catch (error) {
    await writer.discard();
    throw error;
  }

  async function handle(change: Change): Promise<void> {
    switch (change.kind) {
      case "same":
      case "carry":
        await writer.write({ key: change.key, etag: change.etag });
        return;
      case "created":
      case "changed": {
        const { key, etag } = change.object;
        const before = change.kind === "changed" ? change.previous : null;
        const silent = change.kind === "created" ? options.skipCreated : !options.changes;
        if (!silent && pushed >= options.maxEvents) {
          truncated = true;
          if (before !== null) await writer.write({ key, etag: before });
          return;
        }
        // Written as delivered now; put back at the end if the event is abandoned.
        await writer.write({ key, etag });
        if (!silent) {
          await deps.gate();
          await emit(change, before);
        }
        return;
      }
      case "deleted":
        if (!options.deletions) return;
        if (pushed >= options.maxEvents) {
          truncated = true;
          await writer.write({ key: change.key, etag: change.etag });
          return;
        }
        await deps.gate();
        await emit(change, change.etag);
        return;
    }
  }
}

function keyOf(change: EventChange): string {
  return change.kind === "deleted" ? change.key : change.object.key;
}

/** Rewrites the successor checkpoint with the given keys put back (null: absent). */
async function applyReverts(
  store: CheckpointStore,
  written: CheckpointWriter,
  reverts: Map<string, string | null>,
): Promise<CheckpointWriter> {
  await written.close();
  const keys = [...reverts.keys()].sort(compareKeys);
  const next = await store.writer();
  let i = 0;
  const putBack = async (key: string) => {
    const etag = reverts.get(key);
    if (etag !== null && etag !== undefined) await next.write({ key, etag });
  };
  for await (const entry of written.entries()) {
    while (i < keys.length && compareKeys(keys[i]!, entry.key) < 0) await putBack(keys[i++]!);
    if (i < keys.length && keys[i] === entry.key) await putBack(keys[i++]!);
    else await next.write(entry);
  }
  while (i < keys.length) await putBack(keys[i++]!);
  await written.discard();
  return next;
}
