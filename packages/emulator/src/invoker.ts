import {
  FUNC_ERR_CODE_OK,
  FUNC_ERR_CODE_RESPONSE_TOO_LARGE,
  FUNC_ERR_CODE_THROWN,
  FUNC_ERR_CODE_TIMEOUT,
  SYNC_RESPONSE_LIMIT,
  TIMEOUT_ERROR_TYPE,
} from "./constants.js";
import { InvocationContext } from "./context.js";
import type { ResolvedFunction } from "./function-config.js";
import { currentLog, InvocationLog } from "./log-capture.js";
import { finishLine, startLine } from "./log-format.js";

/** What one run of a handler produced. */
export interface InvocationOutcome {
  /** The result as FunctionGraph returns it: strings as is, anything else JSON-serialised. */
  result: string;
  /** True when the handler threw, rejected, timed out or returned something unserialisable. */
  isError: boolean;
  /** `errorType` of the error result, for async failure records. */
  errorType?: string;
  errorMessage?: string;
  /** `X-Func-Err-Code`. */
  errCode: string;
  durationMs: number;
  billingMs: number;
  memoryMb: number;
  memoryUsedMb: number;
  log: string;
}

export interface InvokeRequest {
  fn: ResolvedFunction;
  event: unknown;
  requestId: string;
  projectId: string;
  version: string;
  alias: string;
  memoryMb: number;
  /** Make the handler throw (fault injection). */
  injectError: boolean;
}

const MB = 1024 * 1024;

// Reading the process's RSS is a system call that cost a quarter of a no-op invocation's CPU;
// a reading at most 100 ms old is as good for the "memory used" figure.
const RSS_MAX_AGE_MS = 100;
let rssMb = 0;
let rssAt = Number.NEGATIVE_INFINITY;
function processRssMb(now: number): number {
  if (now - rssAt > RSS_MAX_AGE_MS) {
    rssMb = process.memoryUsage.rss() / MB;
    rssAt = now;
  }
  return rssMb;
}

/** Thrown into a handler by the `functionErrorRatio` fault. */
export class InjectedFunctionError extends Error {
  constructor() {
    super("function error injected by the emulator");
    this.name = "InjectedFunctionError";
  }
}

/**
 * Runs a handler once with FunctionGraph's semantics: a context, a timeout, the log framed by
 * Start/Finish lines, errors turned into `{errorMessage, errorType, stackTrace}` results.
 * The timeout answers the caller; JavaScript cannot be stopped from outside, so a handler that
 * never yields (a busy loop) blocks the emulator: run such code in a separate process.
 */
export async function invoke(req: InvokeRequest): Promise<InvocationOutcome> {
  const { fn, requestId } = req;
  const log = new InvocationLog();
  log.write(startLine(requestId, req.version));
  const started = performance.now();
  const ctx = new InvocationContext(
    fn,
    requestId,
    req.projectId,
    req.version,
    req.alias,
    req.memoryMb,
    started + fn.timeoutMs,
    log,
  );

  let value: unknown;
  let error: unknown;
  let timedOut = false;
  fn.running++;
  try {
    value = await currentLog.run(log, () => runWithTimeout(fn, req, ctx));
  } catch (err) {
    if (err === TIMEOUT) timedOut = true;
    else error = err;
  } finally {
    fn.running--;
  }

  const durationMs = performance.now() - started;
  const billingMs = Math.max(1, Math.ceil(durationMs));
  const memoryUsedMb = Math.min(processRssMb(started + durationMs), req.memoryMb);
  let result: string;
  let errCode = FUNC_ERR_CODE_OK;
  let errorType: string | undefined;
  let errorMessage: string | undefined;

  if (timedOut) {
    errCode = FUNC_ERR_CODE_TIMEOUT;
    errorType = TIMEOUT_ERROR_TYPE;
    errorMessage = `invocation timed out after ${fn.timeoutMs / 1000}s`;
    result = JSON.stringify({ errorMessage, errorType });
    log.write(`${new Date().toISOString()} ${requestId} ERROR ${errorMessage}`);
  } else if (error !== undefined) {
    errCode = FUNC_ERR_CODE_THROWN;
    const body = errorResult(error);
    errorType = body.errorType;
    errorMessage = body.errorMessage;
    result = JSON.stringify(body);
    log.write(`${new Date().toISOString()} ${requestId} ERROR ${errorType}: ${errorMessage}`);
  } else {
    try {
      result = serialise(value);
      if (
        result.length * 3 > SYNC_RESPONSE_LIMIT &&
        Buffer.byteLength(result) > SYNC_RESPONSE_LIMIT
      ) {
        errCode = FUNC_ERR_CODE_RESPONSE_TOO_LARGE;
        errorType = "ResponseSizeTooLarge";
        errorMessage = `the result exceeds ${SYNC_RESPONSE_LIMIT} bytes`;
        result = JSON.stringify({ errorMessage, errorType });
      }
    } catch (err) {
      errCode = FUNC_ERR_CODE_THROWN;
      const body = errorResult(err);
      errorType = body.errorType;
      errorMessage = body.errorMessage;
      result = JSON.stringify(body);
    }
  }
  log.write(finishLine(requestId, durationMs, billingMs, memoryUsedMb, req.memoryMb));
  log.closed = true;

  const outcome: InvocationOutcome = {
    result,
    isError: errCode !== FUNC_ERR_CODE_OK,
    errCode,
    durationMs,
    billingMs,
    memoryMb: req.memoryMb,
    memoryUsedMb,
    log: log.text(),
  };
  if (errorType !== undefined) outcome.errorType = errorType;
  if (errorMessage !== undefined) outcome.errorMessage = errorMessage;
  return outcome;
}

const TIMEOUT = Symbol("timeout");

function runWithTimeout(
  fn: ResolvedFunction,
  req: InvokeRequest,
  ctx: InvocationContext,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(TIMEOUT), fn.timeoutMs);
    const done = (err: unknown, value?: unknown) => {
      clearTimeout(timer);
      if (err !== undefined && err !== null) reject(err);
      else resolve(value);
    };
    try {
      if (req.injectError) throw new InjectedFunctionError();
      if (fn.handler.length >= 3) {
        // Callback style: the first of callback or returned promise settles it.
        const ret = fn.handler(req.event, ctx, (e, v) => done(e, v));
        if (isThenable(ret))
          ret.then(
            (v) => done(undefined, v),
            (e) => done(e ?? new Error("rejected")),
          );
        return;
      }
      const ret = fn.handler(req.event, ctx);
      if (isThenable(ret))
        ret.then(
          (v) => done(undefined, v),
          (e) => done(e ?? new Error("rejected")),
        );
      else done(undefined, ret);
    } catch (err) {
      done(err ?? new Error("threw"));
    }
  });
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | null)?.then === "function";
}

/** A string return value is the result as is; anything else is JSON; undefined is "". */
function serialise(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  const json = JSON.stringify(value);
  return json ?? "";
}

/** FunctionGraph's error result. */
export function errorResult(err: unknown): {
  errorMessage: string;
  errorType: string;
  stackTrace: string[];
} {
  if (err instanceof Error) {
    const stack = typeof err.stack === "string" ? err.stack.split("\n") : [];
    return {
      errorMessage: err.message,
      errorType: err.name || err.constructor?.name || "Error",
      stackTrace: stack
        .slice(1)
        .map((l) => l.trim())
        .filter((l) => l.startsWith("at ")),
    };
  }
  return { errorMessage: String(err), errorType: "Error", stackTrace: [] };
}
