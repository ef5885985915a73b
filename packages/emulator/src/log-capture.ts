import { AsyncLocalStorage } from "node:async_hooks";
import { format } from "node:util";

/** The log lines of one invocation, in order. Closed once the invocation has answered. */
export class InvocationLog {
  readonly lines: string[] = [];
  closed = false;

  write(line: string): void {
    if (!this.closed) this.lines.push(line);
  }

  text(): string {
    return this.lines.join("\n");
  }
}

/** Which invocation the running code belongs to: follows awaits, timers and callbacks. */
export const currentLog = new AsyncLocalStorage<InvocationLog>();

const METHODS = ["log", "info", "warn", "error", "debug"] as const;
type Method = (typeof METHODS)[number];
let installs = 0;
let originals: Record<Method, (...args: unknown[]) => void> | undefined;

/**
 * Routes `console.log/info/warn/error/debug` called from inside an invocation to that
 * invocation's log; everything else reaches the real console. Reference-counted so several
 * emulators in one process share one patch, and the last `close()` restores the console.
 */
export function installConsoleCapture(): () => void {
  if (installs++ === 0) {
    const saved = {} as Record<Method, (...args: unknown[]) => void>;
    for (const m of METHODS) {
      const original = console[m];
      saved[m] = original;
      console[m] = (...args: unknown[]) => {
        const log = currentLog.getStore();
        if (log && !log.closed) log.write(format(...args));
        else original.apply(console, args);
      };
    }
    originals = saved;
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--installs === 0 && originals) {
      for (const m of METHODS) console[m] = originals[m];
      originals = undefined;
    }
  };
}
