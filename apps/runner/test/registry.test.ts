import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  type Connector,
  defineConnector,
  noConnectorServices,
  parseConnectorOptions,
} from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { optionsDocs } from "../src/docs.js";
import { builtInConnectors, ConnectorRegistry } from "../src/registry.js";

const root = resolve(import.meta.dirname, "../../..");

const tail = defineConnector({
  type: "tail",
  summary: "Tails a file.",
  options: z.object({ path: z.string().min(1) }).strict(),
  create: (name) => ({ name, type: "tail" }) as unknown as Connector,
});

describe("the connector registry", () => {
  it("holds the built-in types, and a config's union is built from it", () => {
    const registry = new ConnectorRegistry();
    expect(registry.types.sort()).toEqual(["cron", "http", "kafka", "mqtt", "rabbitmq", "s3"]);
    registry.add(tail, "fgconnect-plugin-tail");
    const schema = registry.configSchema();
    expect(schema.parse({ type: "tail", path: "/var/log/x" })).toEqual({
      type: "tail",
      path: "/var/log/x",
    });
    const refused = schema.safeParse({ type: "tial", path: "x" });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues).toHaveLength(1);
  });

  it("refuses a type registered twice, naming both origins", () => {
    const registry = new ConnectorRegistry();
    expect(() => registry.add({ ...tail, type: "kafka" }, "./my-plugin.js")).toThrow(
      'connector type "kafka" from ./my-plugin.js is already registered by built-in',
    );
  });

  it("creates a connector through its definition", () => {
    const registry = new ConnectorRegistry([tail]);
    const c = registry.create(
      "logs",
      { type: "tail", path: "p" },
      { ...noConnectorServices, logger: console },
    );
    expect(c.name).toBe("logs");
  });
});

describe("built-in connector definitions", () => {
  for (const def of builtInConnectors) {
    it(`${def.type}: every example is a valid config`, () => {
      expect(def.examples.length).toBeGreaterThan(0);
      for (const ex of def.examples)
        expect(() => parseConnectorOptions(def, "example", parse(ex.yaml))).not.toThrow();
    });
  }

  it("each package's committed OPTIONS.md is what its definition renders", () => {
    for (const { dir, text } of optionsDocs())
      expect(
        readFileSync(resolve(root, dir, "OPTIONS.md"), "utf8"),
        `${dir}/OPTIONS.md is stale: run node scripts/options-docs.mjs`,
      ).toBe(text);
  });
});
