/**
 * Which dead letters a `dlq` command takes: by route, function, reason, time, an EventBridge
 * pattern (the router's), or id. Every given criterion must hold; a repeated one is any-of.
 */
import {
  compilePattern,
  type DeadLetterEntry,
  deadLetterBody,
  PatternError,
  parseUrn,
} from "@fgconnect/core";
import { CommanderError } from "commander";
import { EXIT_USAGE } from "../commands/shared.js";

export interface FilterOptions {
  id?: string[];
  route?: string[];
  function?: string[];
  reason?: string[];
  since?: string;
  until?: string;
  pattern?: string;
}

export type EntryFilter = (entry: DeadLetterEntry) => boolean;

const usage = (message: string) => new CommanderError(EXIT_USAGE, "fgconnect.dlqFilter", message);

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `2024-05-01T10:00:00Z`, `2024-05-01`, or a time ago: `90s`, `15m`, `2h`, `7d`. */
export function parseTime(text: string, option: string, now = Date.now()): number {
  const ago = /^(\d+)([smhd])$/.exec(text);
  if (ago) return now - Number(ago[1]) * UNITS[ago[2]!]!;
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw usage(
      `${option} "${text}": give an ISO 8601 time (2024-05-01T10:00:00Z) or a time ago (15m, 2h, 7d)`,
    );
  return at;
}

/** A function given as a full URN, `package:name` or a bare name, against an entry's URN. */
function functionMatcher(wanted: string): (urn: string) => boolean {
  return (urn) => {
    if (urn === wanted) return true;
    try {
      const f = parseUrn(urn);
      return wanted === f.name || wanted === `${f.package}:${f.name}`;
    } catch {
      return false;
    }
  };
}

/** What `--pattern` sees of an entry: its fields, the record's attributes, its body as JSON. */
export function patternView(entry: DeadLetterEntry): Record<string, unknown> {
  const body = deadLetterBody(entry);
  let parsed: unknown = body;
  if (Buffer.isBuffer(body)) {
    const text = body.toString("utf8");
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return {
    id: entry.id,
    route: entry.route,
    function: entry.target,
    reason: entry.reason,
    attempts: entry.attempts,
    error: entry.error,
    source: entry.record.source,
    attributes: entry.record.attributes,
    body: parsed,
    ...(entry.replayOf ? { replayOf: entry.replayOf } : {}),
  };
}

export function compileEntryFilter(o: FilterOptions, now = Date.now()): EntryFilter {
  const tests: EntryFilter[] = [];
  if (o.id?.length) {
    const ids = new Set(o.id);
    tests.push((e) => ids.has(e.id));
  }
  if (o.route?.length) {
    const routes = new Set(o.route);
    tests.push((e) => routes.has(e.route));
  }
  if (o.function?.length) {
    const matchers = o.function.map(functionMatcher);
    tests.push((e) => matchers.some((m) => m(e.target)));
  }
  if (o.reason?.length) {
    const reasons = new Set(o.reason);
    tests.push((e) => reasons.has(e.reason) || (e.error !== null && reasons.has(e.error.code)));
  }
  if (o.since !== undefined) {
    const since = parseTime(o.since, "--since", now);
    tests.push((e) => Date.parse(e.deadLetteredAt) >= since);
  }
  if (o.until !== undefined) {
    const until = parseTime(o.until, "--until", now);
    tests.push((e) => Date.parse(e.deadLetteredAt) < until);
  }
  if (o.pattern !== undefined) {
    let pattern: unknown;
    try {
      pattern = JSON.parse(o.pattern);
    } catch {
      throw usage(`--pattern must be JSON, e.g. '{"attributes":{"topic":["orders"]}}'`);
    }
    try {
      const matches = compilePattern(pattern, ["--pattern"]);
      tests.push((e) => matches(patternView(e)));
    } catch (error) {
      if (error instanceof PatternError) throw usage(error.message);
      throw error;
    }
  }
  return (e) => tests.every((t) => t(e));
}
