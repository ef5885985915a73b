import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  batchSchema,
  deadLetterSchema,
  deliveryPolicySchema,
  limitsSchema,
  routeSchema,
} from "../../src/engine/schema.js";

describe("schemas", () => {
  it("fill every default of an omitted section", () => {
    const route = routeSchema.parse({ from: "kafka", to: ["fn"], mode: "async" });
    expect(route.batch).toEqual({
      maxRecords: 1,
      maxBytes: 256 * 1024,
      maxWaitMs: 0,
      bisectOnError: true,
      reportBatchItemFailures: true,
    });
    expect(route.delivery).toEqual({
      maxAttempts: 10,
      firstDelayMs: 200,
      maxDelayMs: 30_000,
      backoffMultiplier: 2,
      onFunctionError: "retry",
    });
    expect(limitsSchema.parse({})).toEqual({
      maxInFlight: 16,
      maxBufferedRecords: 2_000,
      maxBufferedBytes: 64 * 1024 * 1024,
      resumeAt: 0.5,
    });
    expect(deadLetterSchema.parse({ type: "file" })).toEqual({
      type: "file",
      path: ".fgconnect/dead-letter.jsonl",
      fsync: true,
    });
  });

  it("fill defaults of a partly given section", () => {
    const route = routeSchema.parse({
      from: "k",
      to: ["fn"],
      mode: "sync",
      batch: { maxRecords: 50 },
    });
    expect(route.batch.maxRecords).toBe(50);
    expect(route.batch.maxWaitMs).toBe(0);
  });

  it("reject bad routes with paths", () => {
    const result = routeSchema.safeParse({ from: "", to: [], mode: "later" });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["from", "to", "mode"]));
  });

  it("validate the filter and report the path inside it", () => {
    const result = routeSchema.safeParse({
      from: "k",
      to: ["fn"],
      mode: "async",
      filter: { attributes: { topic: [{ numeric: [">", "x"] }] } },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([
      "filter",
      "attributes",
      "topic",
      0,
      "numeric",
      1,
    ]);
    expect(result.error?.issues[0]?.message).toBe("must be a finite number");
  });

  it("describe every field in the JSON Schema", () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== "object" || node === null) return;
      const n = node as { properties?: Record<string, { description?: string }> };
      for (const [key, prop] of Object.entries(n.properties ?? {})) {
        if (!prop.description) undocumented.push(`${path}.${key}`);
        walk(prop, `${path}.${key}`);
      }
      for (const value of Object.values(node)) if (typeof value === "object") walk(value, path);
    };
    for (const [name, schema] of Object.entries({
      routeSchema,
      deliveryPolicySchema,
      batchSchema,
      limitsSchema,
      deadLetterSchema,
    })) {
      const json = z.toJSONSchema(schema, { io: "input" }) as { description?: string };
      expect(json.description, name).toMatch(/\S/);
      walk(json, name);
    }
    expect(undocumented).toEqual([]);
  });
});
