/**
 * The reconnect loop after a lost connection: tries again and again with a growing, jittered
 * backoff until a connection is made or the source stops.
 */
import { reconnectDelayMs } from "@fgconnect/core/internal";

export interface ReconnectHooks {
  /** Makes a new connection; rejects when it cannot. */
  connect(): Promise<void>;
  stopping(): boolean;
  restored(downMs: number, attempts: number): void;
  failed(err: unknown): void;
}

export class ReconnectLoop {
  private timer?: NodeJS.Timeout;
  private attempts = 0;
  private lostAt = 0;

  constructor(
    private readonly backoff: { minDelayMs: number; maxDelayMs: number },
    private readonly hooks: ReconnectHooks,
  ) {}

  /** The connection was just lost: returns the wait before the first try (to log it). */
  lost(): number {
    this.lostAt = Date.now();
    this.attempts = 0;
    return this.nextDelay();
  }

  schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.hooks.connect().then(
        () => this.hooks.restored(Date.now() - this.lostAt, this.attempts),
        (err: unknown) => {
          if (this.hooks.stopping()) return;
          this.hooks.failed(err);
          this.schedule(this.nextDelay());
        },
      );
    }, delay);
    this.timer.unref?.();
  }

  cancel(): void {
    clearTimeout(this.timer);
  }

  private nextDelay(): number {
    this.attempts += 1;
    return reconnectDelayMs(this.attempts, this.backoff);
  }
}
