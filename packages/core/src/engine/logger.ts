/**
 * The engine's logging surface: pino's `(obj, msg)` call shape, so the daemon passes a pino
 * logger as is. Nothing here logs secrets or payloads at info; record ids and route names only.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const ignore = (): void => {};

/** The default: an embedded engine says nothing unless given a logger. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
