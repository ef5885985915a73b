export { type Coordinator, type CoordinatorDeps, createCoordinator } from "./coordinator.js";
export type { AcquireResult, CoordinationDriver, CoordinationHealth } from "./driver.js";
export { CoordinationError, LeaseLostError } from "./errors.js";
export { LeaseKeeper, type LeaseKeeperOptions, monotonicClock } from "./lease.js";
export type { Lease, LeaseTerm } from "./lease-contract.js";
export {
  type CoordinationOptions,
  coordinationSchema,
  type LeaseTimings,
  leaseTimings,
  type ResolvedCoordinationOptions,
  redactUrl,
} from "./options.js";
export { PostgresDriver } from "./postgres.js";
export { RedisDriver } from "./redis.js";
export { type WithLeaseOptions, withLease } from "./with-lease.js";
