/** FunctionGraph's log lines and invoke summary. */

let second = Number.NaN;
let secondText = "";

/**
 * `2022-09-20T11:43:57Z`: the service's log timestamps have no milliseconds. Formatted once a
 * second: two per invocation cost more than the rest of a no-op function's log.
 */
export function logTime(now = Date.now()): string {
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    secondText = `${new Date(s * 1000).toISOString().slice(0, 19)}Z`;
  }
  return secondText;
}

export function startLine(requestId: string, version: string): string {
  return `${logTime()} Start invoke request '${requestId}', version: ${version}`;
}

export function finishLine(
  requestId: string,
  durationMs: number,
  billingMs: number,
  memoryUsedMb: number,
  memoryMb: number,
): string {
  return `${logTime()} Finish invoke request '${requestId}', duration: ${durationMs.toFixed(3)}ms, billing duration: ${billingMs}ms, memory used: ${memoryUsedMb.toFixed(3)}MB, billing memory: ${memoryMb}MB`;
}

/** The `X-Cff-Invoke-Summary` header value. */
export function invokeSummary(
  durationMs: number,
  billingMs: number,
  memoryMb: number,
  memoryUsedMb: number,
): string {
  return `{"duration":${round3(durationMs)},"billingDuration":${billingMs},"memorySize":${memoryMb},"memoryUsed":${round3(memoryUsedMb)}}`;
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
