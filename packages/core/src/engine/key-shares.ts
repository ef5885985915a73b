/**
 * Each ordering key's part of the buffer, for a source that can stop reading one key (a Kafka
 * partition). A key's fair share is the buffer split among the keys holding records plus one
 * more, so that a key not read yet always finds room: a key past its share is paused (the
 * source reads its other keys meanwhile) and resumed once back under `resumeAt` of its share.
 * A single hot key can then never fill the buffer and starve the others.
 */
interface Held {
  records: number;
  bytes: number;
  paused: boolean;
}

export class KeyShares {
  readonly #held = new Map<string, Held>();

  constructor(
    private readonly limits: {
      maxBufferedRecords: number;
      maxBufferedBytes: number;
      resumeAt: number;
    },
    private readonly pause: (key: string) => void,
    private readonly resume: (key: string) => void,
  ) {}

  /** Keys paused now (for health and tests). */
  get paused(): string[] {
    return [...this.#held].filter(([, h]) => h.paused).map(([key]) => key);
  }

  add(key: string, bytes: number): void {
    let held = this.#held.get(key);
    if (!held) {
      held = { records: 0, bytes: 0, paused: false };
      this.#held.set(key, held);
    }
    held.records += 1;
    held.bytes += bytes;
    if (!held.paused && this.#over(held, 1)) {
      held.paused = true;
      this.pause(key);
    }
  }

  remove(key: string, bytes: number): void {
    const held = this.#held.get(key);
    if (!held) return;
    held.records -= 1;
    held.bytes -= bytes;
    if (held.records <= 0) this.#held.delete(key);
    if (held.paused && (held.records <= 0 || !this.#over(held, this.limits.resumeAt))) {
      held.paused = false;
      this.resume(key);
    }
  }

  /** Holds more than `fraction` of its share. Shares shrink as keys join: checked lazily. */
  #over(held: Held, fraction: number): boolean {
    const parts = this.#held.size + 1;
    return (
      held.records > Math.max(1, (this.limits.maxBufferedRecords / parts) * fraction) ||
      held.bytes > (this.limits.maxBufferedBytes / parts) * fraction
    );
  }
}
