/** What the emulator was asked to do, kept for tests and printed one line per call. */
export type InvocationMode = "sync" | "async" | "legacy";

export interface InvocationRecord {
  /** ISO time the call arrived. */
  time: string;
  mode: InvocationMode;
  /** The canonical URN called, or the URN segment as sent when it did not resolve. */
  urn: string;
  /** The parsed JSON body (undefined when it was not read or not JSON). */
  payload: unknown;
  /** HTTP status answered. */
  status: number;
  requestId: string;
  /** Milliseconds from arrival to answer. */
  duration: number;
  /** Set for sync calls whose function failed (X-Is-Func-Err: true). */
  functionError?: boolean;
  /** The API error code answered (FSS.xxxx, APIGW.xxxx), when the call was refused. */
  errorCode?: string;
  /** The W3C `traceparent` header it was called with (a traced caller's invocation span). */
  traceparent?: string;
}

export type LogSink = (line: string) => void;

export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/** A bounded list: past `max` entries the oldest tenth is dropped at once (cheap amortised). */
export class BoundedList<T> {
  readonly items: T[] = [];
  constructor(private readonly max: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.max) this.items.splice(0, Math.max(1, Math.floor(this.max / 10)));
  }
}

export function formatRecordLine(r: InvocationRecord): string {
  const fnErr = r.functionError ? " function-error" : "";
  const code = r.errorCode ? ` ${logField(r.errorCode)}` : "";
  return `${r.time} ${r.mode} ${logField(r.urn)} ${r.status}${code}${fnErr} ${r.requestId} ${r.duration.toFixed(3)}ms`;
}

const PLAIN = /^[\x21-\x7e]*$/;

/**
 * A value that came with a request (the URN as sent) as one field of a log line: unless it is
 * printable ASCII without spaces, it is written as a JSON string with everything else escaped,
 * so a CR/LF cannot forge a line, nor a space a field.
 */
export function logField(value: string): string {
  if (PLAIN.test(value)) return value;
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
