import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Clock } from "../engine/clock.js";
import { type Logger, silentLogger } from "../engine/logger.js";
import type { CoordinationDriver, CoordinationHealth } from "./driver.js";
import { LeaseKeeper } from "./lease.js";
import type { Lease } from "./lease-contract.js";
import {
  type CoordinationOptions,
  coordinationSchema,
  type LeaseTimings,
  leaseTimings,
} from "./options.js";
import { PostgresDriver } from "./postgres.js";
import { RedisDriver } from "./redis.js";

/** This replica's view of the coordination engine: one lease per name, one connection. */
export interface Coordinator {
  readonly engine: "redis" | "postgres";
  /** The engine's URL without credentials. */
  readonly location: string;
  /** This replica's identity in the engine. */
  readonly holder: string;
  readonly timings: LeaseTimings;
  /** The lease called `name` (one object per name). */
  lease(name: string): Lease;
  leases(): readonly Lease[];
  health(): CoordinationHealth;
  /** Stops every lease (releasing those held) and disconnects. */
  close(): Promise<void>;
}

export interface CoordinatorDeps {
  logger?: Logger;
  clock?: Clock;
  /** Default: host name, process id and a random suffix. */
  holder?: string;
  /** Default: the engine the options name. */
  driver?: CoordinationDriver;
}

/** Never fails for an unreachable engine: leases are retried, with backoff, until it answers. */
export function createCoordinator(
  options: CoordinationOptions,
  deps: CoordinatorDeps = {},
): Coordinator {
  const o = coordinationSchema.parse(options);
  const logger = deps.logger ?? silentLogger;
  const driver =
    deps.driver ??
    (o.type === "redis"
      ? new RedisDriver({ url: o.url, keyPrefix: o.keyPrefix, logger })
      : new PostgresDriver({ url: o.url, schema: o.schema, logger }));
  const holder = deps.holder ?? `${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`;
  const timings = leaseTimings(o.leaseMs);
  const keepers = new Map<string, LeaseKeeper>();
  driver.onConnectionLost((reason) => {
    for (const k of keepers.values()) k.connectionLost(reason);
  });
  return {
    engine: driver.engine,
    location: driver.location,
    holder,
    timings,
    lease(name) {
      let keeper = keepers.get(name);
      if (!keeper) {
        keeper = new LeaseKeeper({ name, holder, driver, timings, clock: deps.clock, logger });
        keepers.set(name, keeper);
      }
      return keeper;
    },
    leases: () => [...keepers.values()],
    health: () => driver.health(),
    async close() {
      await Promise.all([...keepers.values()].map((k) => k.stop()));
      await driver.close();
    },
  };
}
