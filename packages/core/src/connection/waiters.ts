/** Callers waiting for something (a resume, a drain), each until woken or for at most `ms`. */
export class Waiters {
  #wakers: (() => void)[] = [];

  get size(): number {
    return this.#wakers.length;
  }

  /** Resolves at the next `wakeAll()`, or after `ms` (the waiter then leaves the list). */
  wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer =
        ms === undefined
          ? undefined
          : setTimeout(() => {
              const at = this.#wakers.indexOf(wake);
              if (at >= 0) this.#wakers.splice(at, 1);
              resolve();
            }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#wakers.push(wake);
    });
  }

  wakeAll(): void {
    for (const wake of this.#wakers.splice(0)) wake();
  }
}
