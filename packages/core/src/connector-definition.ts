/**
 * A connector type as one definition: its name in configs, a summary, the zod schema of its
 * options and how to build one. Validation, defaults, the config JSON Schema and the generated
 * option docs all come from it, so a plugin's connector is as first-class as a built-in one.
 */
import { z } from "zod";
import { FgconnectError } from "./client/errors.js";
import type { Connector } from "./connector.js";
import type { ConnectorServices } from "./connector-services.js";
import type { ConnectorDeadLetters } from "./dead-letters.js";

/** A config snippet for the docs: the options of one connector, as YAML text. */
export interface ConnectorExample {
  readonly title: string;
  /** The connector's options (without `type`), as they appear under `connectors.<name>`. */
  readonly yaml: string;
}

export interface ConnectorDefinition<
  S extends z.ZodObject = z.ZodObject,
  C extends Connector = Connector,
> {
  /** The `type` configs name it by: lower case letters, digits and dashes. */
  readonly type: string;
  /** One sentence for docs and `--help`. */
  readonly summary: string;
  /** Every option, with its default and `.describe()` text; without `type`. */
  readonly options: S;
  readonly examples: readonly ConnectorExample[];
  /** Builds a connector from options that `options` already parsed. */
  create(name: string, options: z.output<S>, services: ConnectorServices): C;
  /** How `fgconnect dlq` revives this type's records and reads its own dead-letter store. */
  readonly deadLetters?: ConnectorDeadLetters<z.output<S>>;
}

export interface ConnectorDefinitionInput<S extends z.ZodObject, C extends Connector> {
  type: string;
  summary: string;
  options: S;
  examples?: readonly ConnectorExample[];
  create(name: string, options: z.output<S>, services: ConnectorServices): C;
  deadLetters?: ConnectorDeadLetters<z.output<S>>;
}

const DEFINITION = Symbol.for("fgconnect.connector-definition");
const TYPE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** Declares a connector type. Throws at once when the definition itself is unusable. */
export function defineConnector<S extends z.ZodObject, C extends Connector>(
  input: ConnectorDefinitionInput<S, C>,
): ConnectorDefinition<S, C> {
  if (!TYPE_NAME.test(input.type))
    throw new TypeError(
      `connector type "${input.type}": use 1-40 lower-case letters, digits or dashes, starting with a letter`,
    );
  if (!input.summary?.trim()) throw new TypeError(`connector type "${input.type}": no summary`);
  if (!(input.options instanceof z.ZodObject))
    throw new TypeError(`connector type "${input.type}": options must be a zod object schema`);
  if ("type" in input.options.shape)
    throw new TypeError(`connector type "${input.type}": options must not declare \`type\``);
  const definition: ConnectorDefinition<S, C> = {
    type: input.type,
    summary: input.summary.trim(),
    options: input.options,
    examples: Object.freeze([...(input.examples ?? [])]),
    create: input.create,
    ...(input.deadLetters ? { deadLetters: input.deadLetters } : {}),
  };
  Object.defineProperty(definition, DEFINITION, { value: true });
  return Object.freeze(definition);
}

/** True for what `defineConnector` returned (also across copies of this package). */
export function isConnectorDefinition(value: unknown): value is ConnectorDefinition {
  return typeof value === "object" && value !== null && DEFINITION in value;
}

/** One problem in a connector's options: where, what, and what to do. */
export interface OptionIssue {
  /** Dotted path of the option, e.g. `topics[0].filter`; empty for the whole object. */
  readonly field: string;
  readonly problem: string;
}

/** Options that a connector's schema refused. Never carries the refused values. */
export class ConnectorOptionsError extends FgconnectError {
  readonly code = "INVALID_CONNECTOR_OPTIONS";
  readonly retryable = false;
  constructor(
    readonly connector: string,
    readonly type: string,
    readonly issues: readonly OptionIssue[],
  ) {
    super(
      `connector "${connector}" (${type}): ${issues
        .map((i) => (i.field ? `${i.field}: ${i.problem}` : i.problem))
        .join("; ")}`,
      `Fix the option${issues.length === 1 ? "" : "s"} named above; every option of "${type}" is listed in its OPTIONS.md.`,
    );
  }
}

/** Dotted path as users write it in YAML: `topics[0].filter`. */
export function optionPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** A zod issue as a problem that never quotes the input (it may be a secret). */
function problemOf(issue: z.core.$ZodIssue): string {
  // zod leaves the input out of issues; its message says "received undefined" for a missing one.
  if (issue.code === "invalid_type")
    return /received undefined$/.test(issue.message) ? "required" : `expected ${issue.expected}`;
  return issue.message;
}

/**
 * Validates and defaults options with a definition's schema, as library factories and the
 * daemon both do: a typed error naming each field, never a raw ZodError.
 */
export function parseConnectorOptions<S extends z.ZodObject>(
  definition: Pick<ConnectorDefinition<S>, "type" | "options">,
  name: string,
  input: unknown,
): z.output<S> {
  const parsed = definition.options.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConnectorOptionsError(
    name,
    definition.type,
    parsed.error.issues.map((i) => ({ field: optionPath(i.path), problem: problemOf(i) })),
  );
}
