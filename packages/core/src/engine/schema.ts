/**
 * The engine's configuration, one zod schema per concept: the single source of validation,
 * defaults and (through `z.toJSONSchema`) the daemon's config JSON Schema and docs.
 * Nested objects use `.prefault({})` so that an omitted section gets every field's default,
 * and `.strict()` so that a misspelt key is an error rather than a silently ignored option.
 */
import { z } from "zod";
import { INSTANCE_MEMORY_MB } from "../client/types.js";
import { compileFilter, PatternError } from "./pattern.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Documented defaults, in one place. */
export const DEFAULTS = {
  delivery: {
    maxAttempts: 10,
    firstDelayMs: 200,
    maxDelayMs: 30_000,
    backoffMultiplier: 2,
    onFunctionError: "retry",
  },
  batch: {
    maxRecords: 1,
    maxBytes: 256 * KiB,
    maxWaitMs: 0,
    bisectOnError: true,
    reportBatchItemFailures: true,
  },
  limits: {
    maxInFlight: 16,
    maxBufferedRecords: 2_000,
    maxBufferedBytes: 64 * MiB,
    resumeAt: 0.5,
  },
  deadLetter: { path: ".fgconnect/dead-letter.jsonl", fsync: true },
  stopDeadlineMs: 20_000,
} as const;

export const deliveryPolicySchema = z
  .object({
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .default(DEFAULTS.delivery.maxAttempts)
      .describe(
        "Invocation attempts per batch and function, the first included, before dead-lettering. With the default backoff, 10 attempts ride out about a minute of outage.",
      ),
    firstDelayMs: z
      .number()
      .int()
      .min(0)
      .default(DEFAULTS.delivery.firstDelayMs)
      .describe(
        "Cap of the delay after the first failed attempt, in ms; each retry waits a random time between 0 and the cap (full jitter).",
      ),
    maxDelayMs: z
      .number()
      .int()
      .min(0)
      .default(DEFAULTS.delivery.maxDelayMs)
      .describe(
        "Largest cap of the delay between attempts, in ms. A server's Retry-After may ask for more, and is honoured.",
      ),
    backoffMultiplier: z
      .number()
      .min(1)
      .default(DEFAULTS.delivery.backoffMultiplier)
      .describe("Factor by which the delay cap grows after each failed attempt."),
    maxEventAgeMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "Records older than this (by their source timestamp) when an attempt is due are dead-lettered with reason 'max age exceeded'. Unset: no limit (so replaying old data does not dead-letter it).",
      ),
    onFunctionError: z
      .enum(["retry", "dead-letter"])
      .default(DEFAULTS.delivery.onFunctionError)
      .describe(
        "When the function ran and threw (sync mode): retry like a transient error, or dead-letter at once.",
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Timeout of one invocation, in ms. Unset: the client's timeout."),
    logTail: z
      .boolean()
      .optional()
      .describe(
        "Ask for the function's log tail with each sync invocation (X-Cff-Log-Type: tail). Unset: the client's default.",
      ),
    instanceMemoryMb: z
      .union(INSTANCE_MEMORY_MB.map((mb) => z.literal(mb)))
      .optional()
      .describe(
        "Instance memory of each invocation, in MB (X-Cff-Instance-Memory), one of FunctionGraph's sizes. Unset: the function's own.",
      ),
  })
  .strict()
  .describe("How deliveries to a route's functions are retried and when they are dead-lettered.");

export const batchSchema = z
  .object({
    maxRecords: z
      .number()
      .int()
      .min(1)
      .default(DEFAULTS.batch.maxRecords)
      .describe("Most records in one invocation (per ordering key). 1 disables batching."),
    maxBytes: z
      .number()
      .int()
      .min(1)
      .default(DEFAULTS.batch.maxBytes)
      .describe(
        "Most record bytes in one invocation. The default fits the 256 KB async limit; sync invocations accept up to 6 MB, less the event's envelope.",
      ),
    maxWaitMs: z
      .number()
      .int()
      .min(0)
      .default(DEFAULTS.batch.maxWaitMs)
      .describe(
        "Longest a record waits for its batch to fill, in ms. 0: send what arrived together at once.",
      ),
    bisectOnError: z
      .boolean()
      .default(DEFAULTS.batch.bisectOnError)
      .describe(
        "When a batch of several records fails for good (retries used up, a non-retryable error, a function error, a format error), split it in two and deliver each half again, down to single records, so that only the records that fail are dead-lettered. A function error splits the batch at once; after other errors each half gets half the attempts of the batch it came from (at least one).",
      ),
    reportBatchItemFailures: z
      .boolean()
      .default(DEFAULTS.batch.reportBatchItemFailures)
      .describe(
        'Sync mode: honour a function answer {"batchItemFailures": [{"itemIdentifier": "<record id>"}]}: only the records named are retried (and dead-lettered when their retries run out, or at once with onFunctionError dead-letter); the others count as delivered. An identifier that names no record of the batch fails the whole batch. An answer without the list is a success, as always.',
      ),
  })
  .strict()
  .describe("How records are grouped into one invocation.");

export const limitsSchema = z
  .object({
    maxInFlight: z
      .number()
      .int()
      .min(1)
      .default(DEFAULTS.limits.maxInFlight)
      .describe("Most invocations in progress at once, across all routes."),
    maxBufferedRecords: z
      .number()
      .int()
      .min(1)
      .default(DEFAULTS.limits.maxBufferedRecords)
      .describe(
        "Records accepted but not yet handled at which sources are paused. Enough to keep every invocation slot busy with full batches; more only adds memory and garbage collection.",
      ),
    maxBufferedBytes: z
      .number()
      .int()
      .min(1)
      .default(DEFAULTS.limits.maxBufferedBytes)
      .describe("Bytes of records accepted but not yet handled at which sources are paused."),
    resumeAt: z
      .number()
      .gt(0)
      .lt(1)
      .default(DEFAULTS.limits.resumeAt)
      .describe(
        "Paused sources resume when both buffered records and bytes fall to this fraction of their limits.",
      ),
  })
  .strict()
  .describe("Memory and concurrency bounds of the engine.");

export const fileDeadLetterSchema = z
  .object({
    type: z.literal("file").describe("A JSON-lines file: one dead-letter entry per line."),
    path: z
      .string()
      .min(1)
      .default(DEFAULTS.deadLetter.path)
      .describe("File to append to; its directory is created."),
    fsync: z
      .boolean()
      .default(DEFAULTS.deadLetter.fsync)
      .describe("Flush each entry to disk before acknowledging the record."),
  })
  .strict()
  .describe("Dead letters appended to a local file.");

/** A union on `type`, so other sinks (a topic, a bucket) can join without breaking configs. */
export const deadLetterSchema = z
  .discriminatedUnion("type", [fileDeadLetterSchema])
  .describe("Where records that could not be delivered are written.");

export const eventPatternSchema = z
  .record(z.string(), z.unknown())
  .superRefine((pattern, ctx) => {
    try {
      compileFilter(pattern);
    } catch (error) {
      if (!(error instanceof PatternError)) throw error;
      ctx.addIssue({ code: "custom", message: error.reason, path: [...error.segments] });
    }
  })
  .describe(
    'An EventBridge-style pattern over {attributes, body}, e.g. {"attributes": {"topic": [{"prefix": "orders."}]}}. Records that match no route are acknowledged and counted as unrouted.',
  );

export const routeSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .optional()
      .describe("Names the route in logs, metrics and dead letters. Default: '<from>#<index>'."),
    from: z.string().min(1).describe("Name of the connector whose records this route takes."),
    filter: eventPatternSchema.optional(),
    to: z
      .array(z.string().min(1).describe("A FunctionGraph function URN (or short form)."))
      .min(1)
      .describe(
        "Functions each matching record is delivered to; the record is acknowledged once all have it.",
      ),
    mode: z
      .enum(["sync", "async"])
      .describe(
        "sync: delivered when the function returned; async: delivered when FunctionGraph accepted the event (202). No default: it decides what 'delivered' means.",
      ),
    format: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Name of one of the connector's payload formats. Default: the connector's default format.",
      ),
    batch: batchSchema.prefault({}),
    delivery: deliveryPolicySchema.prefault({}),
  })
  .strict()
  .describe("Takes records from one connector, filters them, and delivers them to functions.");

export type DeliveryPolicy = z.output<typeof deliveryPolicySchema>;
export type DeliveryPolicyInput = z.input<typeof deliveryPolicySchema>;
export type BatchConfig = z.output<typeof batchSchema>;
export type BatchConfigInput = z.input<typeof batchSchema>;
export type Limits = z.output<typeof limitsSchema>;
export type LimitsInput = z.input<typeof limitsSchema>;
export type DeadLetterConfig = z.output<typeof deadLetterSchema>;
export type DeadLetterConfigInput = z.input<typeof deadLetterSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type RouteInput = z.input<typeof routeSchema>;
