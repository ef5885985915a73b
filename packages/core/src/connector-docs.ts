/**
 * A connector definition rendered as Markdown: summary, every option (type, default,
 * required, description) and the examples. `fgconnect docs` writes it as each package's
 * OPTIONS.md, so the docs cannot drift from the schema that validates.
 */
import { z } from "zod";
import type { ConnectorDefinition } from "./connector-definition.js";

type Json = { [key: string]: unknown };

interface OptionRow {
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
  description: string;
}

export function renderOptionsDoc(definition: ConnectorDefinition, packageName?: string): string {
  const schema = z.toJSONSchema(definition.options, {
    io: "input",
    unrepresentable: "any",
  }) as Json;
  const rows: OptionRow[] = [];
  collect(schema, "", true, rows);
  const out = [
    `# \`${definition.type}\` connector options`,
    "",
    "<!-- Generated from the connector's definition by `fgconnect docs`; do not edit. -->",
    "",
    definition.summary,
    "",
    `${packageName ? `Package: \`${packageName}\`. ` : ""}In the daemon's config: \`connectors: { <name>: { type: ${definition.type}, … } }\`.`,
    "",
    "| option | type | default | description |",
    "|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| \`${r.path}\`${r.required ? " (required)" : ""} | ${cell(r.type)} | ${
          r.default === undefined ? "" : cell(`\`${JSON.stringify(r.default)}\``)
        } | ${cell(r.description)} |`,
    ),
  ];
  if (definition.examples.length > 0) {
    out.push("", "## Examples");
    for (const ex of definition.examples) {
      const body = ex.yaml
        .trim()
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n");
      out.push(
        "",
        `### ${ex.title}`,
        "",
        "```yaml",
        `connectors:\n  example:\n    type: ${definition.type}\n${body}`,
        "```",
      );
    }
  }
  return `${out.filter((l, i) => !(l === "" && out[i - 1] === "")).join("\n")}\n`;
}

function collect(schema: Json, prefix: string, required: boolean, rows: OptionRow[]): void {
  const properties = schema.properties as Record<string, Json> | undefined;
  if (!properties) return;
  const requiredKeys = new Set((schema.required as string[] | undefined) ?? []);
  for (const [key, prop] of Object.entries(properties)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const isRequired = required && requiredKeys.has(key) && prop.default === undefined;
    rows.push({
      path,
      type: typeOf(prop),
      required: isRequired,
      default: prop.default,
      description: String(prop.description ?? ""),
    });
    for (const nested of objectsIn(prop))
      collect(nested.schema, `${path}${nested.suffix}`, isRequired, rows);
  }
}

/** The object schemas below an option: itself, one of its variants, or its array items. */
function objectsIn(prop: Json): { schema: Json; suffix: string }[] {
  if (prop.properties) return [{ schema: prop, suffix: "" }];
  const variants = (prop.anyOf ?? prop.oneOf) as Json[] | undefined;
  if (variants) return variants.flatMap((v) => objectsIn(v));
  const items = prop.items as Json | undefined;
  if (prop.type === "array" && items)
    return objectsIn(items).map((o) => ({ ...o, suffix: `[]${o.suffix}` }));
  return [];
}

function typeOf(prop: Json): string {
  if (Array.isArray(prop.enum)) return prop.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (prop.const !== undefined) return JSON.stringify(prop.const);
  const variants = (prop.anyOf ?? prop.oneOf) as Json[] | undefined;
  if (variants) return [...new Set(variants.map(typeOf))].join(" | ");
  if (prop.type === "array") return `${typeOf((prop.items as Json) ?? {})}[]`;
  if (prop.type === "integer") return "integer";
  if (typeof prop.type === "string") return prop.type;
  return "any";
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
