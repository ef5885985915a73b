import { z } from "zod";
import { registry as builtIns } from "../connectors.js";
import { SCHEMA_URL } from "../package-info.js";
import type { ConnectorRegistry } from "../registry.js";
import { configSchema } from "./schema.js";

type Node = Record<string, unknown>;

/** `${VAR}` or `${VAR:-default}` anywhere in a string, as the loader interpolates it. */
const REFERENCE = {
  type: "string",
  pattern: "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}\\r\\n]*)?\\}",
  description: "Replaced from the environment when the file is read: ${VAR} or ${VAR:-default}.",
};

/**
 * The config file's JSON Schema, with the connector types of `registry`: what `fgconnect schema`
 * prints and `schema/fgconnect.schema.json` ships. Built from the same zod schemas that
 * validate, then made fit for editors: every typed value also accepts a `${VAR}` reference
 * (an editor sees the reference, not its value), and unions tagged by `type` are discriminated
 * with if/then, so a mistake in one connector is one error about that connector.
 */
export function configJsonSchema(registry: ConnectorRegistry = builtIns): Node {
  const options = { io: "input", unrepresentable: "any" } as const;
  const { $schema, ...root } = z.toJSONSchema(configSchema, options) as Node;
  const { $schema: _, ...connector } = z.toJSONSchema(registry.configSchema(), options) as Node;
  ((root.properties as Node).connectors as Node).additionalProperties = connector;
  return {
    $schema,
    $id: SCHEMA_URL,
    title: "fgconnect configuration",
    ...(transform(root) as Node),
    $defs: { reference: REFERENCE },
  };
}

/** Left as they are: values (defaults, examples, constants) and key schemas (keys are literal). */
const VALUES = new Set(["propertyNames", "default", "examples", "const", "enum"]);

function transform(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(transform);
  if (node === null || typeof node !== "object") return node;
  const out: Node = {};
  for (const [key, value] of Object.entries(node as Node)) {
    out[key] = VALUES.has(key) ? value : transform(value);
  }
  return allowReference(discriminate(constsAsEnum(out)));
}

/** `anyOf` of constants of one type (QoS 0|1|2, memory sizes) → one enum: one error, not 15. */
function constsAsEnum(node: Node): Node {
  const variants = (node.anyOf ?? node.oneOf) as Node[] | undefined;
  if (!variants?.every((v) => v.const !== undefined && v.type === variants[0]!.type)) return node;
  const { anyOf: _a, oneOf: _o, ...rest } = node;
  return { ...rest, type: variants[0]!.type, enum: variants.map((v) => v.const) };
}

/** `oneOf` of objects each with a constant `type` → `type` as an enum plus if/then per variant. */
function discriminate(node: Node): Node {
  const variants = (node.oneOf ?? node.anyOf) as Node[] | undefined;
  if (!variants || variants.length < 2) return node;
  const tags = variants.map((v) => ((v.properties as Node | undefined)?.type as Node)?.const);
  if (!tags.every((t) => typeof t === "string")) return node;
  const { oneOf: _o, anyOf: _a, ...rest } = node;
  return {
    ...rest,
    type: "object",
    required: ["type"],
    properties: { type: { type: "string", enum: tags } },
    allOf: variants.map((v, i) => ({
      if: { properties: { type: { const: tags[i] } }, required: ["type"] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword, not a thenable
      then: v,
    })),
  };
}

/** A typed or constrained value also accepts a reference; a `const` (a union's tag) does not. */
function allowReference(node: Node): Node {
  const type = node.type;
  const constrained =
    type === "number" ||
    type === "integer" ||
    type === "boolean" ||
    node.enum !== undefined ||
    (type === "string" && (node.pattern !== undefined || node.format !== undefined));
  if (!constrained || node.const !== undefined) return node;
  const { description, default: fallback, ...value } = node;
  return {
    ...(description === undefined ? {} : { description }),
    ...(fallback === undefined ? {} : { default: fallback }),
    anyOf: [value, { $ref: "#/$defs/reference" }],
  };
}
