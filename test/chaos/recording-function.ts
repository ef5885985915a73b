/**
 * A FunctionGraph function for the daemon's embedded emulator that appends one JSON line per
 * record id it takes to a file, so a test counts what was delivered across daemon restarts
 * (the function dies with each SIGKILLed daemon; the file stays). It throws on a share of its
 * invocations, chosen by a hash of the first record's id and the attempt, so retries are real.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";

export interface RecordingFunctionOptions {
  /**
   * JavaScript source of `(event) => [{ id, ...fields }]`: the ids (and any fields to keep) of
   * the records one event carries. It runs inside the daemon, so it must be self-contained.
   */
  ids: string;
  /** Percent of invocations that throw (default 30). */
  failPercent?: number;
  /** Time each invocation takes before it answers, in ms (default 0). */
  latencyMs?: number;
}

/** One record the function took: its id, the fields `ids` kept, which daemon ran it and when. */
export interface Delivery {
  id: string;
  pid: number;
  at: number;
  [field: string]: unknown;
}

export const FUNCTION_NAME = "sink";

/** Writes the function into `<dir>/functions/sink`; returns the files it records to. */
export function writeRecordingFunction(
  dir: string,
  o: RecordingFunctionOptions,
): { deliveries: string; failures: string } {
  const folder = join(dir, "functions", FUNCTION_NAME);
  mkdirSync(folder, { recursive: true });
  const deliveries = join(dir, "deliveries.jsonl");
  const failures = join(dir, "failures.jsonl");
  writeFileSync(deliveries, "");
  writeFileSync(failures, "");
  // A generous timeout: an invocation timed out by the emulator while its handler still
  // records would count as a delivery the daemon then retries.
  writeFileSync(join(folder, "fgconnect.json"), JSON.stringify({ timeoutSeconds: 120 }));
  writeFileSync(
    join(folder, "index.cjs"),
    `"use strict";
const { appendFileSync } = require("node:fs");
const { createHash } = require("node:crypto");

const DELIVERIES = ${JSON.stringify(deliveries)};
const FAILURES = ${JSON.stringify(failures)};
const FAIL_PERCENT = ${o.failPercent ?? 30};
const LATENCY_MS = ${o.latencyMs ?? 0};
const ids = (${o.ids});
/** Attempts per first record id in this process (a restart starts again at 1). */
const attempts = new Map();

exports.handler = async (event) => {
  const records = ids(event);
  const first = records.length > 0 ? String(records[0].id) : "";
  const attempt = (attempts.get(first) || 0) + 1;
  attempts.set(first, attempt);
  if (LATENCY_MS > 0) await new Promise((resolve) => setTimeout(resolve, LATENCY_MS));
  const draw = createHash("sha256").update(first + "#" + attempt).digest().readUInt32BE(0) % 100;
  if (draw < FAIL_PERCENT) {
    appendFileSync(FAILURES, JSON.stringify({ id: first, attempt }) + "\\n");
    throw new Error("injected failure of " + first + ", attempt " + attempt);
  }
  attempts.delete(first);
  const at = Date.now();
  const lines = records.map((r) => JSON.stringify({ ...r, id: String(r.id), pid: process.pid, at }));
  // One write per invocation: a SIGKILL never leaves half of an invocation's records.
  appendFileSync(DELIVERIES, lines.join("\\n") + "\\n");
  return { received: records.length };
};
`,
  );
  return { deliveries, failures };
}

/** Reads a JSON-lines file as it grows: each call returns every complete line so far. */
export class JsonLinesReader<T> {
  private readonly items: T[] = [];
  private offset = 0;
  private partial = "";
  private readonly decoder = new StringDecoder("utf8");

  constructor(private readonly file: string) {}

  read(): readonly T[] {
    if (!existsSync(this.file)) return this.items;
    const fd = openSync(this.file, "r");
    try {
      const chunk = Buffer.alloc(1 << 20);
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, this.offset);
        if (n === 0) break;
        this.offset += n;
        const text = this.partial + this.decoder.write(chunk.subarray(0, n));
        const lines = text.split("\n");
        this.partial = lines.pop()!;
        for (const line of lines) if (line.trim()) this.items.push(JSON.parse(line) as T);
      }
    } finally {
      closeSync(fd);
    }
    return this.items;
  }
}
