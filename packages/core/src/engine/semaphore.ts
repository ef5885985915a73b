/**
 * A counting semaphore that bounds invocations in progress across all routes, and shares them
 * fairly between ordering keys: waiters queue per key (FIFO within a key), and a freed slot goes
 * to the next key in turn. A key with a backlog (or the many batches of records without a key)
 * takes one slot per round, so every key that waits gets a slot within a round of the others.
 */
interface Waiter {
  signal: AbortSignal;
  resolve(granted: boolean): void;
}

interface KeyQueue {
  key: string | undefined;
  /** FIFO: entries before `head` were granted (a moving head: shift() is O(n) on long queues). */
  waiters: Waiter[];
  head: number;
}

export class Semaphore {
  #inUse = 0;
  #waiting = 0;
  /** Keys with waiters. */
  readonly #queues = new Map<string | undefined, KeyQueue>();
  /** Keys with waiters in the order they get a slot; entries before #turn were served. */
  #turns: KeyQueue[] = [];
  #turn = 0;
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
    return this.#waiting;
  }

  /** Takes a slot if one is free now and nobody waits for one. */
  tryAcquire(): boolean {
    if (this.#inUse >= this.limit || this.#waiting > 0) return false;
    this.#take();
    return true;
  }

  /**
   * Resolves true with a slot held, or false (and no slot) when `signal` aborts first. `key`
   * (an ordering key; undefined for records without one) is whose turn the wait takes.
   */
  acquire(signal: AbortSignal, key?: string): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#inUse < this.limit) {
      this.#take();
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      let queue = this.#queues.get(key);
      if (!queue) {
        queue = { key, waiters: [], head: 0 };
        this.#queues.set(key, queue);
        this.#turns.push(queue);
      }
      queue.waiters.push({ signal, resolve });
      this.#waiting += 1;
      if (!this.#watched.has(signal)) {
        this.#watched.add(signal);
        signal.addEventListener("abort", () => this.#abandon(signal), { once: true });
      }
    });
  }

  release(): void {
    this.#inUse -= 1;
    this.onChange(this.#inUse);
    if (this.#waiting === 0) return;
    const queue = this.#turns[this.#turn++]!;
    const next = queue.waiters[queue.head++]!;
    this.#waiting -= 1;
    if (queue.head < queue.waiters.length) {
      // Still waiting: its next turn comes after every other key's.
      this.#turns.push(queue);
      if (queue.head > 1024 && queue.head * 2 > queue.waiters.length) {
        queue.waiters = queue.waiters.slice(queue.head);
        queue.head = 0;
      }
    } else {
      this.#queues.delete(queue.key);
    }
    if (this.#turn > 1024 && this.#turn * 2 > this.#turns.length) {
      this.#turns = this.#turns.slice(this.#turn);
      this.#turn = 0;
    }
    this.#take();
    next.resolve(true);
  }

  #abandon(signal: AbortSignal): void {
    const aborted: Waiter[] = [];
    const turns: KeyQueue[] = [];
    for (const queue of this.#turns.slice(this.#turn)) {
      const kept: Waiter[] = [];
      for (const w of queue.waiters.slice(queue.head))
        (w.signal === signal ? aborted : kept).push(w);
      queue.waiters = kept;
      queue.head = 0;
      if (kept.length > 0) turns.push(queue);
      else this.#queues.delete(queue.key);
    }
    this.#turns = turns;
    this.#turn = 0;
    this.#waiting -= aborted.length;
    for (const w of aborted) w.resolve(false);
  }

  #take(): void {
    this.#inUse += 1;
    this.onChange(this.#inUse);
  }
}
