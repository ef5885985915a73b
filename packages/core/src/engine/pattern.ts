/**
 * EventBridge-style event patterns, compiled once (at load time) into a predicate.
 *
 * A pattern is an object whose keys name fields of the event. A key maps either to a nested
 * pattern object, or to an array of alternatives — exact values (string, number, boolean,
 * null) or matchers: {prefix}, {suffix}, {"equals-ignore-case"}, {wildcard},
 * {"anything-but": value | [values] | {prefix|suffix|equals-ignore-case|wildcard}},
 * {numeric: [">", 0, "<=", 5]}, {exists: true|false}. A key "$or" holds an array of patterns,
 * one of which must match. All keys of an object must match; one alternative of an array.
 * When the event's value is an array, it matches if any element does. Only {exists: false}
 * matches a missing field.
 */

export type PatternScalar = string | number | boolean | null;

export type PatternMatcher =
  | { prefix: string }
  | { suffix: string }
  | { "equals-ignore-case": string }
  | { wildcard: string }
  | {
      "anything-but":
        | PatternScalar
        | readonly PatternScalar[]
        | { prefix: string }
        | { suffix: string }
        | { "equals-ignore-case": string }
        | { wildcard: string };
    }
  | { numeric: readonly (string | number)[] }
  | { exists: boolean };

export interface EventPattern {
  [field: string]:
    | EventPattern
    | readonly (PatternScalar | PatternMatcher)[]
    | readonly EventPattern[];
}

export type Predicate = (event: unknown) => boolean;

/** A pattern that cannot be compiled; `path` says where, e.g. `filter.attributes.topic[0]`. */
export class PatternError extends Error {
  constructor(
    /** Where in the pattern, as segments (for zod issues). */
    readonly segments: readonly (string | number)[],
    readonly reason: string,
  ) {
    super(`${formatPath(segments)}: ${reason}`);
    this.name = "PatternError";
  }

  get path(): string {
    return formatPath(this.segments);
  }
}

function formatPath(segments: readonly (string | number)[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out || "(pattern)";
}

type Path = readonly (string | number)[];
/** Tests one field: its value, and whether it was there at all. */
type FieldTest = (value: unknown, present: boolean) => boolean;

const MATCHERS = [
  "prefix",
  "suffix",
  "equals-ignore-case",
  "wildcard",
  "anything-but",
  "numeric",
  "exists",
] as const;

/** Compiles any pattern object. Throws PatternError naming the offending path. */
export function compilePattern(pattern: unknown, path: Path = []): Predicate {
  return compileObject(pattern, path, undefined);
}

/**
 * Compiles a route filter: a pattern over `{ attributes, body }`, so its top-level keys may
 * only be `attributes`, `body` and `$or`.
 */
export function compileFilter(pattern: unknown, path: Path = []): Predicate {
  return compileObject(pattern, path, ["attributes", "body"]);
}

function compileObject(pattern: unknown, path: Path, allowedKeys: string[] | undefined): Predicate {
  if (!isPlainObject(pattern)) throw new PatternError(path, "must be an object");
  const tests: Predicate[] = [];
  for (const [key, sub] of Object.entries(pattern)) {
    const at = [...path, key];
    if (key === "$or") {
      if (!Array.isArray(sub) || sub.length < 2) {
        throw new PatternError(at, "must be an array of at least two patterns");
      }
      const alternatives = sub.map((p, i) => compileObject(p, [...at, i], allowedKeys));
      tests.push((event) => alternatives.some((alt) => alt(event)));
      continue;
    }
    if (allowedKeys && !allowedKeys.includes(key)) {
      throw new PatternError(at, `unknown field; a filter matches on ${allowedKeys.join(" and ")}`);
    }
    if (Array.isArray(sub)) {
      const field = compileAlternatives(sub, at);
      tests.push((event) => {
        const present = isPlainObject(event) && Object.hasOwn(event, key);
        return field(present ? event[key] : undefined, present);
      });
    } else if (isPlainObject(sub)) {
      const nested = compileObject(sub, at, undefined);
      tests.push((event) => {
        const value = isPlainObject(event) ? event[key] : undefined;
        if (Array.isArray(value)) return value.some((element) => nested(element));
        // A missing or scalar parent still lets {exists: false} below it match.
        return nested(isPlainObject(value) ? value : undefined);
      });
    } else {
      throw new PatternError(
        at,
        `must be an array of allowed values or matchers (e.g. [${JSON.stringify(sub)}]) or a nested pattern object`,
      );
    }
  }
  return (event) => tests.every((test) => test(event));
}

function compileAlternatives(values: unknown[], path: Path): FieldTest {
  if (values.length === 0)
    throw new PatternError(path, "must not be empty (it would match nothing)");
  const tests = values.map((v, i) => compileAlternative(v, [...path, i]));
  return (value, present) => tests.some((test) => test(value, present));
}

function compileAlternative(spec: unknown, path: Path): FieldTest {
  if (isScalar(spec)) return anyElement((v) => v === spec);
  if (!isPlainObject(spec))
    throw new PatternError(path, "must be a string, number, boolean, null or a matcher object");
  const keys = Object.keys(spec);
  const name = keys[0];
  if (keys.length !== 1 || name === undefined) {
    throw new PatternError(path, `a matcher has exactly one key, one of: ${MATCHERS.join(", ")}`);
  }
  const arg = spec[name];
  const at = [...path, name];
  switch (name) {
    case "exists":
      if (typeof arg !== "boolean") throw new PatternError(at, "must be true or false");
      return (_value, present) => present === arg;
    case "numeric":
      return anyElement(compileNumeric(arg, at));
    case "anything-but":
      return anyElement(compileAnythingBut(arg, at));
    case "prefix":
    case "suffix":
    case "equals-ignore-case":
    case "wildcard":
      return anyElement(compileStringMatcher(name, arg, at));
    default:
      throw new PatternError(at, `unknown matcher; use one of: ${MATCHERS.join(", ")}`);
  }
}

/** Applies a test to a present value, or to any element when the value is an array. */
function anyElement(test: (v: unknown) => boolean): FieldTest {
  return (value, present) => {
    if (!present) return false;
    return Array.isArray(value) ? value.some(test) : test(value);
  };
}

function compileStringMatcher(name: string, arg: unknown, path: Path): (v: unknown) => boolean {
  if (typeof arg !== "string") throw new PatternError(path, "must be a string");
  switch (name) {
    case "prefix":
      return (v) => typeof v === "string" && v.startsWith(arg);
    case "suffix":
      return (v) => typeof v === "string" && v.endsWith(arg);
    case "equals-ignore-case": {
      const lower = arg.toLowerCase();
      return (v) => typeof v === "string" && v.toLowerCase() === lower;
    }
    default: {
      if (arg.includes("**")) throw new PatternError(path, "must not contain consecutive '*'");
      const source = arg
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*");
      const regex = new RegExp(`^${source}$`, "s");
      return (v) => typeof v === "string" && regex.test(v);
    }
  }
}

function compileAnythingBut(arg: unknown, path: Path): (v: unknown) => boolean {
  if (isScalar(arg)) return (v) => v !== arg;
  if (Array.isArray(arg)) {
    if (arg.length === 0) throw new PatternError(path, "must not be an empty array");
    arg.forEach((item, i) => {
      if (!isScalar(item))
        throw new PatternError([...path, i], "must be a string, number, boolean or null");
    });
    const excluded = new Set<unknown>(arg);
    return (v) => !excluded.has(v);
  }
  if (isPlainObject(arg)) {
    const keys = Object.keys(arg);
    const name = keys[0];
    const allowed = ["prefix", "suffix", "equals-ignore-case", "wildcard"];
    if (keys.length !== 1 || name === undefined || !allowed.includes(name)) {
      throw new PatternError(
        path,
        `as an object, must have exactly one key, one of: ${allowed.join(", ")}`,
      );
    }
    const inner = compileStringMatcher(name, arg[name], [...path, name]);
    return (v) => !inner(v);
  }
  throw new PatternError(
    path,
    "must be a value, an array of values, or {prefix|suffix|equals-ignore-case|wildcard}",
  );
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  "=": (a, b) => a === b,
  ">=": (a, b) => a >= b,
  ">": (a, b) => a > b,
};

function compileNumeric(arg: unknown, path: Path): (v: unknown) => boolean {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) {
    throw new PatternError(
      path,
      'must be [op, number] or [op, number, op, number], e.g. [">", 0, "<=", 5]',
    );
  }
  const checks: ((n: number) => boolean)[] = [];
  let lower = false;
  let upper = false;
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const operand = arg[i + 1];
    const compare = typeof op === "string" ? COMPARE[op] : undefined;
    if (compare === undefined) {
      throw new PatternError([...path, i], `must be one of ${Object.keys(COMPARE).join(" ")}`);
    }
    if (typeof operand !== "number" || !Number.isFinite(operand)) {
      throw new PatternError([...path, i + 1], "must be a finite number");
    }
    const isLower = op.startsWith(">") || op === "=";
    const isUpper = op.startsWith("<") || op === "=";
    if ((isLower && lower) || (isUpper && upper)) {
      throw new PatternError([...path, i], "repeats a bound already given");
    }
    lower ||= isLower;
    upper ||= isUpper;
    checks.push((n) => compare(n, operand));
  }
  return (v) => typeof v === "number" && checks.every((check) => check(v));
}

function isScalar(v: unknown): v is PatternScalar {
  return v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}
