/** Resolves when a waker in `waiters` is called, or after `ms` (its waker then leaves the list). */
export function wakeOrTimeout(waiters: (() => void)[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      const at = waiters.indexOf(wake);
      if (at >= 0) waiters.splice(at, 1);
      resolve();
    }, ms);
    waiters.push(wake);
  });
}
