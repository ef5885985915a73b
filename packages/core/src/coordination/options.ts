import { z } from "zod";

const leaseMs = z
  .number()
  .int()
  .min(500)
  .max(600_000)
  .default(10_000)
  .describe(
    "Longest time from the lease holder's death to another replica acting, ms. The engine keeps a lease leaseMs*9/10 after its last renewal (the rest is the new holder's time to take it and start); the holder renews every 3/10 leaseMs and stops acting 18/25 leaseMs after its last successful renewal was sent.",
  );

const redisSchema = z
  .object({
    type: z.literal("redis"),
    url: z
      .string()
      .regex(/^rediss?:\/\//, "a redis:// or rediss:// URL")
      .describe("Redis server, e.g. redis://127.0.0.1:6379 (a password in it is never logged)."),
    keyPrefix: z
      .string()
      .min(1)
      .default("fgconnect:")
      .describe("Prefix of every key written, so tenants sharing a Redis do not collide."),
    leaseMs,
  })
  .strict()
  .describe("Leases and shared state in Redis (one server or a primary; keys carry hash tags).");

const postgresSchema = z
  .object({
    type: z.literal("postgres"),
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "a postgres:// URL")
      .describe(
        "PostgreSQL database, e.g. postgres://user@127.0.0.1:5432/db (a password in it is never logged).",
      ),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, "a lower-case SQL identifier")
      .default("fgconnect")
      .describe(
        "Schema holding the lease and state tables (created if missing), so tenants do not collide.",
      ),
    leaseMs,
  })
  .strict()
  .describe("Leases and shared state in PostgreSQL tables, timed by the database clock.");

/** The `coordination` section: which engine holds the replicas' leases and shared state. */
export const coordinationSchema = z
  .discriminatedUnion("type", [redisSchema, postgresSchema])
  .describe(
    "Lets several replicas run the same config: cron schedules and bucket polling act only on the replica holding the connector's lease.",
  );

export type CoordinationOptions = z.input<typeof coordinationSchema>;
export type ResolvedCoordinationOptions = z.output<typeof coordinationSchema>;

/** The timings derived from `leaseMs` (documented in the README). */
export interface LeaseTimings {
  /** The bound on a takeover after the holder's death. */
  leaseMs: number;
  /**
   * How long the engine keeps a lease after its last renewal: leaseMs less a tenth, so a standby
   * that takes the lease as it expires has acquired it and started acting within leaseMs.
   */
  ttlMs: number;
  /** How often the holder renews. */
  renewEveryMs: number;
  /** How often a failed renewal is retried before the holder gives up. */
  retryEveryMs: number;
  /** Kept between "stop acting" and the earliest moment the lease can expire in the store. */
  marginMs: number;
}

export function leaseTimings(leaseMs: number): LeaseTimings {
  const ttlMs = Math.round((leaseMs * 9) / 10);
  return {
    leaseMs,
    ttlMs,
    renewEveryMs: Math.round(ttlMs / 3),
    retryEveryMs: Math.max(50, Math.round(ttlMs / 10)),
    marginMs: Math.round(ttlMs / 5),
  };
}

/** A URL as shown in logs and errors: scheme, host and path, never credentials. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(unparsable url)";
  }
}
