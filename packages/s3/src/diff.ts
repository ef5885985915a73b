/**
 * Merges a listing with the checkpoint, both in key order, into what changed. Pure and
 * streaming: it holds one listed object and one checkpoint entry at a time.
 */
import type { ListedObject } from "./bucket.js";
import type { CheckpointEntry } from "./checkpoint-file.js";
import { ListingOrderError } from "./errors.js";
import { compareKeys } from "./key-order.js";

export type Change =
  /** Listed with the ETag the checkpoint holds. */
  | { kind: "same"; key: string; etag: string }
  /** Listed, not in the checkpoint. */
  | { kind: "created"; object: ListedObject }
  /** Listed with another ETag than the checkpoint's. */
  | { kind: "changed"; object: ListedObject; previous: string }
  /** In the checkpoint, no longer listed. */
  | { kind: "deleted"; key: string; etag: string }
  /** In the checkpoint, not compared because the listing stopped early: keep it as it is. */
  | { kind: "carry"; key: string; etag: string };

/**
 * Yields one change per key. When `shouldStop()` turns true, or the listing fails or is out of
 * order, the rest of the checkpoint is yielded as `carry` and then the failure is thrown, so a
 * checkpoint written from these changes never loses what it held.
 */
export async function* diffListing(
  listing: AsyncIterable<ListedObject>,
  checkpoint: AsyncIterable<CheckpointEntry>,
  shouldStop: () => boolean = () => false,
): AsyncGenerator<Change> {
  const old = checkpoint[Symbol.asyncIterator]();
  const listed = listing[Symbol.asyncIterator]();
  let entry = await old.next();
  let previous: string | undefined;
  let failure: unknown;
  let complete = false;
  try {
    while (!shouldStop()) {
      let next: IteratorResult<ListedObject>;
      try {
        next = await listed.next();
      } catch (error) {
        failure = error;
        break;
      }
      if (next.done) {
        complete = true;
        break;
      }
      const object = next.value;
      if (previous !== undefined && compareKeys(previous, object.key) >= 0) {
        failure = new ListingOrderError(previous, object.key);
        break;
      }
      previous = object.key;
      while (!entry.done && compareKeys(entry.value.key, object.key) < 0) {
        yield { kind: "deleted", key: entry.value.key, etag: entry.value.etag };
        entry = await old.next();
      }
      if (!entry.done && entry.value.key === object.key) {
        yield entry.value.etag === object.etag
          ? { kind: "same", key: object.key, etag: object.etag }
          : { kind: "changed", object, previous: entry.value.etag };
        entry = await old.next();
      } else {
        yield { kind: "created", object };
      }
    }
    while (!entry.done) {
      yield { kind: complete ? "deleted" : "carry", key: entry.value.key, etag: entry.value.etag };
      entry = await old.next();
    }
    if (failure !== undefined) throw failure;
  } finally {
    await old.return?.(undefined);
    await listed.return?.(undefined);
  }
}

/** The objects of a paged listing, one at a time, keeping those `include` accepts. */
export async function* objectsOf(
  pages: AsyncIterable<ListedObject[]>,
  include: (key: string) => boolean,
  onPage?: (count: number) => void,
): AsyncGenerator<ListedObject> {
  for await (const page of pages) {
    onPage?.(page.length);
    for (const object of page) if (include(object.key)) yield object;
  }
}

/** The checkpoint entries `include` accepts (options may have narrowed since it was written). */
export async function* entriesOf(
  entries: AsyncIterable<CheckpointEntry>,
  include: (key: string) => boolean,
): AsyncGenerator<CheckpointEntry> {
  for await (const entry of entries) if (include(entry.key)) yield entry;
}
