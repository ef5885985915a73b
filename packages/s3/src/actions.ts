import type { Bucket } from "./bucket.js";
import type { ResolvedS3Options } from "./options.js";

/** What a post-delivery action left of the object: still at its key, or gone from it. */
export type ActionResult = "kept" | "removed";

/** Runs the configured post-delivery action on a delivered object. */
export async function runAfterDelivery(
  bucket: Bucket,
  options: ResolvedS3Options,
  key: string,
): Promise<ActionResult> {
  const after = options.afterDelivery;
  switch (after.action) {
    case "none":
      return "kept";
    case "tag":
      await bucket.addTag(key, after.tag.key, after.tag.value);
      return "kept";
    case "move":
      await bucket.copy(key, movedKey(options, key));
      await bucket.remove(key);
      return "removed";
    case "delete":
      await bucket.remove(key);
      return "removed";
  }
}

/** Where the move action puts a key: movePrefix + the key relative to the watched prefix. */
export function movedKey(options: ResolvedS3Options, key: string): string {
  const rel = key.startsWith(options.prefix) ? key.slice(options.prefix.length) : key;
  return `${options.afterDelivery.movePrefix ?? ""}${rel}`;
}
