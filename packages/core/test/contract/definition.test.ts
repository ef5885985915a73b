import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type Connector,
  ConnectorOptionsError,
  defineConnector,
  isConnectorDefinition,
  parseConnectorOptions,
  renderOptionsDoc,
} from "../../src/index.js";

const options = z
  .object({
    url: z.string().min(1).describe("Where to read from."),
    password: z.string().min(1).optional().describe("Never logged."),
    intervalMs: z.number().int().positive().default(1000).describe("How often to read, in ms."),
    filters: z
      .array(z.object({ prefix: z.string().describe("Key prefix.") }).strict())
      .default([])
      .describe("Which keys to take."),
  })
  .strict();

const fake = (name: string) => ({ name, type: "tail" }) as unknown as Connector;

describe("defineConnector", () => {
  it("carries type, summary, options, examples and factory, and is recognised as a definition", () => {
    const def = defineConnector({
      type: "tail",
      summary: "Tails a file. ",
      options,
      examples: [{ title: "A log", yaml: "url: file:///var/log/app.log" }],
      create: (name) => fake(name),
    });
    expect(def.type).toBe("tail");
    expect(def.summary).toBe("Tails a file.");
    expect(def.examples).toHaveLength(1);
    expect(def.create("t", options.parse({ url: "x" }), undefined as never).name).toBe("t");
    expect(isConnectorDefinition(def)).toBe(true);
    expect(isConnectorDefinition({ ...def })).toBe(false);
    expect(Object.isFrozen(def)).toBe(true);
  });

  it("refuses a definition that cannot work", () => {
    const base = { summary: "s", options, create: () => fake("x") };
    expect(() => defineConnector({ ...base, type: "Tail" })).toThrow(/lower-case/);
    expect(() => defineConnector({ ...base, type: "tail", summary: " " })).toThrow(/no summary/);
    expect(() =>
      defineConnector({ ...base, type: "tail", options: options.extend({ type: z.string() }) }),
    ).toThrow(/must not declare `type`/);
  });
});

describe("parseConnectorOptions", () => {
  const def = defineConnector({ type: "tail", summary: "s", options, create: () => fake("x") });

  it("applies defaults", () => {
    expect(parseConnectorOptions(def, "logs", { url: "u" })).toEqual({
      url: "u",
      intervalMs: 1000,
      filters: [],
    });
  });

  it("throws a typed error naming each field and what to do, never a ZodError", () => {
    let error: unknown;
    try {
      parseConnectorOptions(def, "logs", { intervalMs: -5, filters: [{ prefix: 3 }], extra: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectorOptionsError);
    const e = error as ConnectorOptionsError;
    expect(e.code).toBe("INVALID_CONNECTOR_OPTIONS");
    expect(e.issues.map((i) => i.field)).toEqual(
      expect.arrayContaining(["url", "intervalMs", "filters[0].prefix", ""]),
    );
    expect(e.message).toMatch(/^connector "logs" \(tail\): /);
    expect(e.message).toContain("url: required");
    expect(e.hint).toMatch(/OPTIONS\.md/);
  });

  it("never quotes a refused value, which may be a secret", () => {
    try {
      parseConnectorOptions(def, "logs", { url: "u", password: 987654321 });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain("password: expected string");
      expect((e as Error).message).not.toContain("987654321");
    }
  });
});

describe("renderOptionsDoc", () => {
  it("lists every option with type, default, requiredness and description, and the examples", () => {
    const def = defineConnector({
      type: "tail",
      summary: "Tails a file.",
      options,
      examples: [{ title: "A log", yaml: "url: file:///var/log/app.log" }],
      create: () => fake("x"),
    });
    const md = renderOptionsDoc(def, "fgconnect-plugin-tail");
    expect(md).toContain("# `tail` connector options");
    expect(md).toContain("Package: `fgconnect-plugin-tail`.");
    expect(md).toContain("| `url` (required) | string |  | Where to read from. |");
    expect(md).toContain("| `intervalMs` | integer | `1000` | How often to read, in ms. |");
    expect(md).toContain("| `filters[].prefix` | string |  | Key prefix. |");
    expect(md).toContain("### A log");
    expect(md).toContain("    type: tail\n    url: file:///var/log/app.log");
  });
});
