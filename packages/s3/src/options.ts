import { optionRules } from "@fgconnect/core/internal";
import { z } from "zod";

const credentialsSchema = z
  .object({
    accessKeyId: z.string().min(1).describe("Access key id (AK)."),
    secretAccessKey: z.string().min(1).describe("Secret access key (SK). Never logged."),
    sessionToken: z.string().min(1).optional().describe("Session token of temporary credentials."),
  })
  .strict()
  .describe("Static keys. Leave out to use the AWS SDK's default chain (env, profile, IMDS…).");

const pollSchema = z
  .object({
    intervalMs: z
      .number()
      .int()
      .min(100)
      .default(30_000)
      .describe("Pause between the end of one listing of the bucket and the start of the next."),
    pageSize: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1000)
      .describe("Keys asked for per ListObjectsV2 page (S3 returns at most 1000)."),
    maxObjectsPerPoll: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .describe(
        "Most events pushed by one poll; the rest wait for the next poll, which then starts at once. Bounds the memory a poll needs.",
      ),
    changes: z
      .boolean()
      .default(true)
      .describe("Deliver an overwritten object (same key, new ETag) again, as ObjectCreated:Put."),
    deletions: z
      .boolean()
      .default(false)
      .describe("Deliver ObjectRemoved:Delete for objects that disappeared since the last poll."),
    initialScan: z
      .enum(["deliver", "skip"])
      .default("deliver")
      .describe(
        "With no checkpoint yet (first run): deliver the objects already in the bucket, or only record them as seen.",
      ),
  })
  .strict()
  .prefault({});

const checkpointSchema = z
  .object({
    store: z
      .enum(["file", "bucket"])
      .default("file")
      .describe(
        "Keep the polling checkpoint in a local file, or in an object of the watched bucket (written with conditional PUTs).",
      ),
    path: z
      .string()
      .min(1)
      .optional()
      .describe(
        "With store file: the checkpoint file. Default .fgconnect/s3-<connector name>.checkpoint.",
      ),
    key: z
      .string()
      .min(1)
      .optional()
      .describe(
        "With store bucket: the checkpoint object's key. Default .fgconnect/checkpoints/<connector name>; never delivered itself.",
      ),
  })
  .strict()
  .prefault({});

const notificationsSchema = z
  .object({
    host: z.string().default("127.0.0.1").describe("Address the webhook endpoint listens on."),
    port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(8090)
      .describe("Port of the webhook endpoint (0 picks a free one)."),
    path: z
      .string()
      .regex(/^\//, "must start with /")
      .default("/")
      .describe("URL path that accepts POSTed S3 event notifications."),
    secret: z
      .string()
      .min(16, "use at least 16 characters")
      .optional()
      .describe(
        "Shared secret the sender presents as `Authorization: Bearer <secret>`, as a bare Authorization value, or in the header named by `header`. Required in notifications mode; never logged.",
      ),
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, "must be an HTTP header name")
      .default("x-fgconnect-secret")
      .describe("Other header that may carry the shared secret."),
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .default(1_048_576)
      .describe("Largest notification document accepted; larger ones get 413."),
    keysUrlEncoded: z
      .boolean()
      .default(true)
      .describe(
        "Object keys in received notifications are URL-encoded (AWS S3, OBS and MinIO do this). Either way the key is decoded for filters, content and post-delivery actions, and the event carries it re-encoded in the one form both modes use.",
      ),
  })
  .strict()
  .prefault({});

const contentSchema = z
  .object({
    inline: z
      .boolean()
      .default(false)
      .describe(
        "Add the object's content to the event (s3.object.content) when it is small enough.",
      ),
    maxBytes: z
      .number()
      .int()
      .min(1)
      .max(4_000_000)
      .default(65_536)
      .describe("Objects larger than this are delivered without content."),
  })
  .strict()
  .prefault({});

const afterDeliverySchema = z
  .object({
    action: z
      .enum(["none", "tag", "move", "delete"])
      .default("none")
      .describe(
        "What to do to an object once its event was delivered (not when dead-lettered): nothing, tag it, move it under movePrefix, or delete it.",
      ),
    tag: z
      .object({
        key: z.string().min(1).max(128).default("fgconnect").describe("Tag key."),
        value: z.string().max(256).default("delivered").describe("Tag value."),
      })
      .strict()
      .prefault({})
      .describe("With action tag: the tag added (other tags of the object are kept)."),
    movePrefix: z
      .string()
      .min(1)
      .optional()
      .describe(
        "With action move: objects are copied to movePrefix + their key relative to prefix, then deleted. Keys under it are never delivered.",
      ),
  })
  .strict()
  .prefault({});

const startupSchema = z
  .object({
    failFast: z
      .boolean()
      .default(false)
      .describe(
        "Reject start() when the bucket cannot be reached. Default: start anyway, report not ready with the reason, and keep retrying.",
      ),
    retryMaxMs: z
      .number()
      .int()
      .min(100)
      .default(60_000)
      .describe(
        "Longest wait between retries after a failed connection or poll (backoff doubles up to it).",
      ),
  })
  .strict()
  .prefault({});

/** The one schema of the S3 connector's options: validation, defaults, JSON Schema, docs. */
export const s3OptionsSchema = z
  .object({
    bucket: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        "must be a valid bucket name (3-63 of a-z 0-9 . -)",
      )
      .describe("The bucket watched."),
    endpoint: z
      .url()
      .optional()
      .describe(
        "S3 API endpoint, e.g. https://obs.cn-north-4.myhuaweicloud.com or http://127.0.0.1:9000. Default: AWS S3 of region.",
      ),
    region: z
      .string()
      .min(1)
      .default("us-east-1")
      .describe("Region used for signing and in events."),
    pathStyle: z
      .boolean()
      .default(false)
      .describe(
        "Address the bucket as endpoint/bucket (MinIO, Ceph, most local servers) instead of bucket.endpoint.",
      ),
    credentials: credentialsSchema.optional(),
    prefix: z.string().default("").describe("Only keys starting with this are watched."),
    suffixes: z
      .array(z.string().min(1))
      .default([])
      .describe("Only keys ending with one of these are watched (e.g. [.jpg, .png]); empty: all."),
    mode: z
      .enum(["poll", "notifications"])
      .default("poll")
      .describe(
        "Find objects by listing the bucket on an interval, or receive the bucket's event notifications by webhook.",
      ),
    poll: pollSchema.describe("Polling mode."),
    checkpoint: checkpointSchema.describe("Where polling remembers what it has delivered."),
    notifications: notificationsSchema.describe("Notification (webhook) mode."),
    content: contentSchema.describe("Inline content of small objects."),
    afterDelivery: afterDeliverySchema.describe("Post-delivery action."),
    startup: startupSchema.describe("Behaviour when the bucket cannot be reached."),
  })
  .strict()
  .superRefine(
    optionRules([
      {
        path: ["notifications", "secret"],
        message: "required in notifications mode (the endpoint refuses unauthenticated senders)",
        broken: (o) => o.mode === "notifications" && o.notifications.secret === undefined,
      },
      {
        path: ["afterDelivery", "movePrefix"],
        message: "required with action move",
        broken: (o) =>
          o.afterDelivery.action === "move" && o.afterDelivery.movePrefix === undefined,
      },
      {
        path: ["afterDelivery", "movePrefix"],
        message: (o) =>
          `must not contain the watched prefix "${o.prefix}" (moved objects would never be delivered from it)`,
        broken: (o) =>
          o.afterDelivery.movePrefix !== undefined &&
          o.prefix.startsWith(o.afterDelivery.movePrefix),
      },
    ]),
  );

export type S3Options = z.input<typeof s3OptionsSchema>;
export type ResolvedS3Options = z.output<typeof s3OptionsSchema>;
