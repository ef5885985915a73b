/**
 * Pausing and resuming the sources: all of them while the buffer is full, and one ordering key
 * of a connector that can pause a key while that key holds more than its fair share. A
 * connector that throws from one of these calls gets one error line, never an engine failure.
 */
import type { Connector } from "../connector.js";
import type { Backpressure } from "./backpressure.js";
import { KeyShares } from "./key-shares.js";
import type { Logger } from "./logger.js";
import type { EngineMetrics } from "./metrics.js";
import type { Limits } from "./schema.js";

export class SourcePauses {
  #paused = false;

  constructor(
    private readonly connectors: () => readonly Connector[],
    private readonly backpressure: Backpressure,
    private readonly limits: Limits,
    private readonly metrics: EngineMetrics,
    private readonly logger: Logger,
  ) {}

  /** The sources are paused because the buffer is full. */
  get paused(): boolean {
    return this.#paused;
  }

  pauseAll(): void {
    if (this.#paused) return;
    this.#paused = true;
    const { records, bytes } = this.backpressure;
    this.logger.info({ buffered: records, bytes }, "pausing sources");
    for (const c of this.connectors()) {
      this.metrics.paused({ source: c.name });
      this.guard(() => c.pause(), c, "pause");
    }
  }

  resumeAll(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const { records, bytes } = this.backpressure;
    this.logger.info({ buffered: records, bytes }, "resuming sources");
    for (const c of this.connectors()) {
      this.metrics.resumed({ source: c.name });
      this.guard(() => c.resume(), c, "resume");
    }
  }

  /** Pauses one connector (leaving in a reconfigure, or joining while the others are paused). */
  pause(c: Connector): void {
    this.guard(() => c.pause(), c, "pause");
  }

  /** Fair shares of the buffer per ordering key, for a connector that can pause one key. */
  keyShares(c: Connector): KeyShares | undefined {
    if (typeof c.pauseKey !== "function" || typeof c.resumeKey !== "function") return undefined;
    return new KeyShares(
      this.limits,
      (key) => this.guard(() => c.pauseKey!(key), c, "pauseKey"),
      (key) => this.guard(() => c.resumeKey!(key), c, "resumeKey"),
    );
  }

  private guard(fn: () => void, c: Connector, what: string): void {
    try {
      fn();
    } catch (error) {
      this.logger.error({ connector: c.name, err: String(error) }, `connector ${what}() threw`);
    }
  }
}
