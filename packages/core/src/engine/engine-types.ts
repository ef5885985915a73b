/** The engine's public types: what it is built from, what it answers, what it reports. */
import type { Invoker } from "../client/types.js";
import type { Connector, ConnectorHealth } from "../connector.js";
import type { DeadLetterSink } from "../dead-letters.js";
import type { Clock } from "./clock.js";
import type { Logger } from "./logger.js";
import type { EngineMetrics } from "./metrics.js";
import type { Reconfiguration, ReconfigureResult } from "./reconfigure.js";
import type { ResolvedRoute } from "./router.js";
import type { DeadLetterConfigInput, LimitsInput, RouteInput } from "./schema.js";

export interface EngineOptions {
  invoker: Invoker;
  /** Connectors of different record types mix: `Connector<KafkaRecord>` is a `Connector`. */
  connectors: readonly Connector[];
  routes: readonly RouteInput[];
  /** A sink, or the config of one (the engine then owns it and closes it at stop). */
  deadLetter: DeadLetterSink | DeadLetterConfigInput;
  limits?: LimitsInput;
  metrics?: Partial<EngineMetrics>;
  logger?: Logger;
  clock?: Clock;
  /** Uniform in [0, 1), for retry jitter. */
  random?: () => number;
}

export interface StopOptions {
  /** How long to let buffered and in-flight records finish, in ms (default 20 000). */
  deadlineMs?: number;
}

export interface StopResult {
  /** Every record was delivered or dead-lettered before the deadline. */
  drained: boolean;
  /** Records given back undelivered (outcome `abandoned`). */
  abandoned: number;
}

export type EngineState = "created" | "starting" | "running" | "stopping" | "stopped";

export interface EngineHealth {
  state: EngineState;
  /** Sources are paused because the buffer is full. */
  paused: boolean;
  buffered: { records: number; bytes: number };
  inFlight: number;
  /**
   * The dead-letter sink: not ok from a failed write until the next one succeeds (its records
   * are not acknowledged meanwhile); `reason` says what failed.
   */
  deadLetter: { ok: boolean; reason?: string };
  connectors: Record<string, ConnectorHealth>;
}

export interface Engine {
  /** The routes in force (a reconfigure replaces them). */
  readonly routes: readonly ResolvedRoute[];
  /** The connectors taking records, without those a reconfigure is draining out. */
  readonly connectors: readonly Connector[];
  /** Starts every connector. Rejects (after stopping them all) if one fails to start. */
  start(): Promise<void>;
  /**
   * Stops intake (connectors are paused; later pushes are `abandoned`), sends open batches,
   * lets deliveries finish until the deadline, then aborts what is left and gives those
   * records back as `abandoned` (never acknowledged). Finally calls each connector's `stop()`.
   * Calling it again returns the same promise.
   */
  stop(options?: StopOptions): Promise<StopResult>;
  /**
   * Swaps routes and connectors while running (see Reconfiguration). Rejects with
   * EngineConfigError, changing nothing, when the new routes cannot work.
   */
  reconfigure(change: Reconfiguration): Promise<ReconfigureResult>;
  health(): EngineHealth;
}
