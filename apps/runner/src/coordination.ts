/**
 * Replicas: which connectors act only under a lease (cron schedules, bucket polling — sources
 * with no split of their own), and how their state is shared. Kafka, MQTT and S3 notifications
 * need no lease: consumer groups, shared subscriptions and webhooks already split the work.
 */
import {
  type Connector,
  type ConnectorServices,
  type Coordinator,
  LeaseLostError,
  type LeaseTerm,
  type Logger,
  withLease,
  withStartRetry,
} from "@fgconnect/core";
import { CronConnector, type CronState, type CronStateStore } from "@fgconnect/cron";
import { type CheckpointStore, S3Connector } from "@fgconnect/s3";
import { type ConnectorConfig, createConnector } from "./connectors.js";
import type { ConnectorRegistry } from "./registry.js";

/** True for the connectors that two replicas must not both run. */
export function needsLease(config: ConnectorConfig): boolean {
  return config.type === "cron" || (config.type === "s3" && config.mode === "poll");
}

/** A connector acting only while this replica holds the lease named after it. */
export function leasedConnector(
  types: ConnectorRegistry,
  name: string,
  config: ConnectorConfig,
  coordinator: Coordinator,
  logger: Logger,
  services: ConnectorServices,
): Connector {
  return withLease(
    coordinator.lease(name),
    (term) =>
      term
        ? withStartRetry(() => createLeased(types, name, config, term, logger, services), {
            logger,
          })
        : createConnector(types, name, config, services),
    { logger },
  );
}

function createLeased(
  types: ConnectorRegistry,
  name: string,
  config: ConnectorConfig,
  term: LeaseTerm,
  logger: Logger,
  services: ConnectorServices,
): Connector {
  const { type, ...options } = config;
  if (type === "cron")
    return new CronConnector(name, options as never, Date.now, sharedCronState(name, term, logger));
  if (type === "s3")
    return new S3Connector(name, options as never, {
      checkpointStore: (store) => fencedCheckpoint(store, term),
    });
  return createConnector(types, name, config, services);
}

/** The cron state in the coordination store, written only while the term is current. */
function sharedCronState(name: string, term: LeaseTerm, logger: Logger): CronStateStore {
  return {
    location: `the coordination store (lease ${name})`,
    async load(): Promise<CronState> {
      const text = await term.get("cron-state");
      const parsed = text ? (JSON.parse(text) as Partial<CronState>) : {};
      return { lastFire: { ...(parsed.lastFire ?? {}) } };
    },
    async save(state: CronState): Promise<void> {
      try {
        await term.set("cron-state", JSON.stringify(state));
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        // The new leader owns the state now; it fires what this replica did not record.
        logger.warn(
          { connector: name, fencingToken: term.token },
          "cron state not saved: lease lost",
        );
      }
    },
  };
}

/** A bucket checkpoint committed only while the term is current (and conditionally, as ever). */
function fencedCheckpoint(store: CheckpointStore, term: LeaseTerm): CheckpointStore {
  return {
    get location() {
      return store.location;
    },
    load: () => store.load(),
    entries: () => store.entries(),
    writer: () => store.writer(),
    async commit(writer) {
      // A poll of a replica that lost its lease is not recorded (the poll cycle discards it).
      await term.check();
      await store.commit(writer);
    },
    close: () => store.close(),
  };
}
