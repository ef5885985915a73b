import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  parse as parseYamlValue,
  Scalar,
} from "yaml";
import { ConfigError, type ConfigIssue } from "./errors.js";

/** Alias expansions allowed when the file is read; a few hundred is far past any real config. */
const MAX_ALIAS_COUNT = 200;

/** A parsed config file that still knows which line each value came from. */
export interface ConfigDocument {
  file: string;
  value: unknown;
  lineOf(path: readonly (string | number)[]): number | undefined;
  /**
   * Values that are one unquoted `${VAR}` alone, by path (`formatPath`): they were read as YAML
   * scalars (so a number), and an error on them can say how to keep them text.
   */
  references: ReadonlyMap<string, string>;
}

/**
 * `${VAR}` and `${VAR:-default}`; `$$` is a literal `$`. A default stops at the line's end.
 * Each reference is swapped for a plain word before the YAML is parsed, so YAML quoting decides
 * the value's type (`"${PW}"` is text whatever PW holds) and `{ token: ${T} }` is a valid flow map.
 */
const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}\r\n]*))?\}/g;

interface Reference {
  text: string;
  name: string;
  fallback: string | undefined;
}

/** Parses YAML (and so JSON, its subset); every error names its line, and what it is about. */
export function parseConfigText(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
): ConfigDocument {
  const fail = (issues: ConfigIssue[]): never => {
    throw new ConfigError(file, issues);
  };
  const nul = text.indexOf("\u0000");
  if (nul >= 0) {
    fail([
      {
        path: [],
        line: lineAt(text, nul),
        message: "not a text file: it holds NUL bytes; give a YAML or JSON config file",
      },
    ]);
  }

  const refs: Reference[] = [];
  let tag = "fgconnectref";
  while (text.includes(tag)) tag += "x";
  const masked = text.replace(REF, (match, name?: string, fallback?: string) => {
    if (match === "$$") return match;
    refs.push({ text: match, name: name!, fallback });
    return `${tag}${refs.length - 1}z`;
  });
  const placeholder = new RegExp(`\\$\\$|${tag}(\\d+)z`, "g");
  const unmask = (s: string) =>
    s.replace(placeholder, (m, i?: string) => (i === undefined ? m : refs[Number(i)]!.text));

  const lines = new LineCounter();
  const doc = parseDocument(masked, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: false,
  });
  if (doc.errors.length > 0) {
    fail(
      doc.errors.map((e) => ({
        path: [],
        line: lines.linePos(e.pos[0]).line,
        message: `not valid YAML or JSON: ${unmask(e.message.split("\n")[0]!)}`,
      })),
    );
  }
  // No content at all, or only `~`/`---`: nothing to configure.
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    fail([
      {
        path: [],
        message:
          "the file is empty; declare connectors and routes (`fgconnect schema` lists every field)",
      },
    ]);
  }

  const lineOfNode = (node: Node | null | undefined) =>
    node?.range ? lines.linePos(node.range[0]).line : undefined;
  const issues: ConfigIssue[] = [];
  const references = new Map<string, string>();
  const walk = (node: Node | null, path: (string | number)[]): void => {
    if (isMap(node)) {
      const seen = new Map<string, number | undefined>();
      for (const pair of node.items) {
        // Keys are not interpolated: put back what was written.
        if (isScalar(pair.key) && typeof pair.key.value === "string")
          pair.key.value = unmask(pair.key.value);
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const line = lineOfNode(pair.key as Node);
        if (seen.has(key)) {
          const first = seen.get(key);
          issues.push({
            path: [...path, key],
            line,
            message: `duplicate key "${key}"${first ? ` (first on line ${first})` : ""}; keep one`,
          });
        } else seen.set(key, line);
        walk(pair.value as Node | null, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item as Node, [...path, i]);
      });
    } else if (isScalar(node) && typeof node.value === "string") {
      interpolate(node, path);
    }
  };
  const interpolate = (node: Scalar, path: (string | number)[]): void => {
    const value = node.value as string;
    if (!value.includes("$") && !value.includes(tag)) return;
    const whole = new RegExp(`^${tag}(\\d+)z$`).exec(value);
    const replaced = value.replace(placeholder, (_match, i?: string) => {
      if (i === undefined) return "$";
      const ref = refs[Number(i)]!;
      const set = env[ref.name];
      if (set !== undefined && set !== "") return set;
      if (ref.fallback !== undefined) return ref.fallback;
      issues.push({
        path,
        line: lineOfNode(node),
        message: `environment variable ${ref.name} is not set; set it, or write \${${ref.name}:-default}`,
      });
      return "";
    });
    // Quoted and block scalars are text; a plain one is typed as YAML would type its value.
    if (whole && node.type === Scalar.PLAIN) {
      node.value = asScalar(replaced);
      references.set(pathKey(path), refs[Number(whole[1])]!.text);
    } else node.value = replaced;
  };
  walk(doc.contents as Node, []);
  if (issues.length > 0) fail(issues);

  return {
    file,
    value: toValue(doc, fail),
    references,
    lineOf(path) {
      // The deepest node that exists on the path: a missing field points at its parent.
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
        const line = lineOfNode(node);
        if (line !== undefined) return line;
      }
      return undefined;
    },
  };
}

export function pathKey(path: readonly (string | number)[]): string {
  return JSON.stringify(path);
}

function toValue(doc: Document, fail: (issues: ConfigIssue[]) => never): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    return fail([
      {
        path: [],
        message: `aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies; refusing a file that multiplies itself — write the values out`,
      },
    ]);
  }
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function asScalar(text: string): unknown {
  if (text === "") return text;
  try {
    const value: unknown = parseYamlValue(text);
    return value === null || typeof value === "object" ? text : value;
  } catch {
    return text;
  }
}
