import { createRequire } from "node:module";

/**
 * A client library loaded on first use, resolved from `from` (the caller's `import.meta.url`):
 * a daemon without that connector never holds the library in memory.
 */
export function lazyRequire<T>(specifier: string, from: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= createRequire(from)(specifier) as T;
    return loaded;
  };
}
