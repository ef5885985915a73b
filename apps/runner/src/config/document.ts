import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  parse as parseYamlValue,
} from "yaml";
import { ConfigError, type ConfigIssue } from "./errors.js";

/** A parsed config file that still knows which line each value came from. */
export interface ConfigDocument {
  file: string;
  value: unknown;
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** Parses YAML (and so JSON, its subset); syntax errors and duplicate keys name their line. */
export function parseConfigText(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
): ConfigDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: [],
        line: lines.linePos(e.pos[0]).line,
        message: `not valid YAML or JSON: ${e.message.split("\n")[0]}`,
      })),
    );
  }
  const issues: ConfigIssue[] = [];
  const lineOfNode = (node: Node | null | undefined) =>
    node?.range ? lines.linePos(node.range[0]).line : undefined;
  interpolate(doc.contents as Node | null, [], env, issues, lineOfNode);
  if (issues.length > 0) throw new ConfigError(file, issues);

  return {
    file,
    value: doc.toJS() ?? {},
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

const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * `${VAR}` and `${VAR:-default}` in string values, from the environment; `$$` is a literal `$`.
 * A value that is one reference alone is read as a YAML scalar, so `port: ${PORT:-9464}` is a number.
 */
function interpolate(
  node: Node | null,
  path: (string | number)[],
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  lineOf: (n: Node) => number | undefined,
): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      interpolate(pair.value as Node | null, [...path, key], env, issues, lineOf);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      interpolate(item as Node, [...path, i], env, issues, lineOf);
    });
  } else if (isScalar(node) && typeof node.value === "string" && node.value.includes("$")) {
    const text = node.value;
    let whole = false;
    const replaced = text.replace(
      REF,
      (match, name: string | undefined, fallback: string | undefined, offset: number) => {
        if (match === "$$") return "$";
        whole = offset === 0 && match.length === text.length;
        const value = env[name!];
        if (value !== undefined && value !== "") return value;
        if (fallback !== undefined) return fallback;
        issues.push({
          path,
          line: lineOf(node),
          message: `environment variable ${name} is not set; set it, or write \${${name}:-default}`,
        });
        return "";
      },
    );
    node.value = whole ? asScalar(replaced) : replaced;
  }
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
