/** A counting semaphore with a FIFO queue: bounds invocations in progress across all routes. */
interface Waiter {
  signal: AbortSignal;
  resolve(granted: boolean): void;
}

export class Semaphore {
  #inUse = 0;
  /** FIFO: entries before #head were granted (a moving head: shift() is O(n) on long queues). */
  #waiters: Waiter[] = [];
  #head = 0;
  /**
   * Signals already watched. Every waiter of one signal shares one abort listener: Node's
   * EventTarget scans its listeners on every add and remove, so a listener per waiter made
   * each acquire O(waiters) when thousands of lanes wait (per-key ordering).
   */
  readonly #watched = new WeakSet<AbortSignal>();

  constructor(
    readonly limit: number,
    private readonly onChange: (inUse: number) => void = () => {},
  ) {}

  get inUse(): number {
    return this.#inUse;
  }

  /** Waiters queued for a slot. */
  get waiting(): number {
    return this.#waiters.length - this.#head;
  }

  /** Takes a slot if one is free now and nobody waits for one. */
  tryAcquire(): boolean {
    if (this.#inUse >= this.limit || this.#head < this.#waiters.length) return false;
    this.#take();
    return true;
  }

  /** Resolves true with a slot held, or false (and no slot) when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#inUse < this.limit) {
      this.#take();
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      this.#waiters.push({ signal, resolve });
      if (!this.#watched.has(signal)) {
        this.#watched.add(signal);
        signal.addEventListener("abort", () => this.#abandon(signal), { once: true });
      }
    });
  }

  release(): void {
    this.#inUse -= 1;
    this.onChange(this.#inUse);
    if (this.#head === this.#waiters.length) return;
    const next = this.#waiters[this.#head++]!;
    if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
    this.#take();
    next.resolve(true);
  }

  #abandon(signal: AbortSignal): void {
    const queued = this.#waiters.slice(this.#head);
    const aborted = queued.filter((w) => w.signal === signal);
    this.#waiters = queued.filter((w) => w.signal !== signal);
    this.#head = 0;
    for (const w of aborted) w.resolve(false);
  }

  #take(): void {
    this.#inUse += 1;
    this.onChange(this.#inUse);
  }
}
