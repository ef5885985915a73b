import { describe, expect, it } from "vitest";
import { compileFilter, compilePattern, PatternError } from "../../src/engine/pattern.js";
import { filterView } from "../../src/engine/router.js";
import { record } from "./fakes.js";

const event = {
  topic: "orders.eu",
  partition: 3,
  key: null,
  tags: ["red", "blue"],
  price: 4.5,
  flag: false,
  headers: { type: "Created", source: "shop" },
  items: [{ sku: "a-1" }, { sku: "b-2" }],
};

describe("compilePattern: matching", () => {
  const cases: [string, unknown, boolean][] = [
    ["empty pattern matches anything", {}, true],
    ["exact string", { topic: ["orders.eu"] }, true],
    ["exact string, other value", { topic: ["orders.us"] }, false],
    ["one of several values", { topic: ["x", "orders.eu"] }, true],
    ["exact number", { partition: [3] }, true],
    ["number is not its string", { partition: ["3"] }, false],
    ["exact null", { key: [null] }, true],
    ["exact boolean", { flag: [false] }, true],
    ["array value: any element", { tags: ["blue"] }, true],
    ["array value: no element", { tags: ["green"] }, false],
    ["prefix", { topic: [{ prefix: "orders." }] }, true],
    ["prefix mismatch", { topic: [{ prefix: "payments." }] }, false],
    ["prefix on a number never matches", { partition: [{ prefix: "3" }] }, false],
    ["suffix", { topic: [{ suffix: ".eu" }] }, true],
    ["suffix mismatch", { topic: [{ suffix: ".us" }] }, false],
    ["equals-ignore-case", { headers: { type: [{ "equals-ignore-case": "created" }] } }, true],
    [
      "equals-ignore-case mismatch",
      { headers: { type: [{ "equals-ignore-case": "deleted" }] } },
      false,
    ],
    ["wildcard", { topic: [{ wildcard: "ord*.e*" }] }, true],
    ["wildcard is anchored", { topic: [{ wildcard: "rders*" }] }, false],
    ["wildcard escapes regex characters", { topic: [{ wildcard: "orders?eu" }] }, false],
    ["anything-but value", { topic: [{ "anything-but": "orders.us" }] }, true],
    ["anything-but the value itself", { topic: [{ "anything-but": "orders.eu" }] }, false],
    ["anything-but list", { partition: [{ "anything-but": [1, 2, 3] }] }, false],
    ["anything-but list, not in it", { partition: [{ "anything-but": [1, 2] }] }, true],
    ["anything-but prefix", { topic: [{ "anything-but": { prefix: "orders" } }] }, false],
    ["anything-but prefix, other", { topic: [{ "anything-but": { prefix: "pay" } }] }, true],
    ["anything-but suffix", { topic: [{ "anything-but": { suffix: ".eu" } }] }, false],
    ["anything-but does not match a missing field", { nope: [{ "anything-but": "x" }] }, false],
    ["numeric range inside", { price: [{ numeric: [">", 0, "<=", 5] }] }, true],
    ["numeric range outside", { price: [{ numeric: [">", 5] }] }, false],
    ["numeric equal", { partition: [{ numeric: ["=", 3] }] }, true],
    ["numeric bound is exclusive", { partition: [{ numeric: ["<", 3] }] }, false],
    ["numeric on a string never matches", { topic: [{ numeric: [">", 0] }] }, false],
    ["exists true", { topic: [{ exists: true }] }, true],
    ["exists true on null counts as present", { key: [{ exists: true }] }, true],
    ["exists true, missing", { nope: [{ exists: true }] }, false],
    ["exists false, missing", { nope: [{ exists: false }] }, true],
    ["exists false, present", { topic: [{ exists: false }] }, false],
    ["exists false under a missing parent", { nope: { deeper: [{ exists: false }] } }, true],
    ["nested", { headers: { source: ["shop"] } }, true],
    ["nested mismatch", { headers: { source: ["api"] } }, false],
    ["nested under an array of objects", { items: { sku: [{ prefix: "b-" }] } }, true],
    ["nested on a scalar parent", { topic: { x: ["y"] } }, false],
    ["all fields must match", { topic: ["orders.eu"], partition: [4] }, false],
    ["one alternative is enough", { partition: [{ numeric: ["<", 0] }, 3] }, true],
    ["$or: one branch matches", { $or: [{ partition: [9] }, { flag: [false] }] }, true],
    ["$or: no branch matches", { $or: [{ partition: [9] }, { flag: [true] }] }, false],
  ];
  it.each(cases)("%s", (_name, pattern, expected) => {
    expect(compilePattern(pattern)(event)).toBe(expected);
  });
});

describe("compilePattern: validation names the path", () => {
  const cases: [string, unknown, string][] = [
    ["not an object", "x", "(pattern): must be an object"],
    [
      "a scalar instead of an array",
      { topic: "orders" },
      'topic: must be an array of allowed values or matchers (e.g. ["orders"])',
    ],
    ["an empty array", { a: { b: [] } }, "a.b: must not be empty"],
    ["an unknown matcher", { a: [{ prefx: "x" }] }, "a[0].prefx: unknown matcher"],
    [
      "a matcher with two keys",
      { a: [{ prefix: "x", suffix: "y" }] },
      "a[0]: a matcher has exactly one key",
    ],
    ["prefix not a string", { a: [{ prefix: 1 }] }, "a[0].prefix: must be a string"],
    [
      "numeric with an odd length",
      { a: [{ numeric: [">"] }] },
      "a[0].numeric: must be [op, number]",
    ],
    [
      "numeric with a bad operator",
      { a: [{ numeric: ["!=", 1] }] },
      "a[0].numeric[0]: must be one of",
    ],
    [
      "numeric with a non-number",
      { a: [{ numeric: [">", "1"] }] },
      "a[0].numeric[1]: must be a finite number",
    ],
    [
      "numeric with two lower bounds",
      { a: [{ numeric: [">", 1, ">=", 2] }] },
      "a[0].numeric[2]: repeats a bound",
    ],
    ["exists not boolean", { a: [{ exists: "yes" }] }, "a[0].exists: must be true or false"],
    [
      "anything-but with an object element",
      { a: [{ "anything-but": [{}] }] },
      "a[0].anything-but[0]: must be a string",
    ],
    [
      "anything-but with a bad object",
      { a: [{ "anything-but": { numeric: [] } }] },
      "a[0].anything-but: as an object",
    ],
    [
      "wildcard with **",
      { a: [{ wildcard: "a**" }] },
      "a[0].wildcard: must not contain consecutive",
    ],
    ["$or with one branch", { $or: [{}] }, "$or: must be an array of at least two patterns"],
    ["an object in the alternatives", { a: [[1]] }, "a[0]: must be a string, number"],
    ["a field name that needs quoting", { h: { "x y": "v" } }, 'h["x y"]: must be an array'],
  ];
  it.each(cases)("%s", (_name, pattern, message) => {
    let thrown: unknown;
    try {
      compilePattern(pattern);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PatternError);
    expect((thrown as PatternError).message).toContain(message);
  });
});

describe("compileFilter", () => {
  it("rejects top-level fields other than attributes and body, naming them", () => {
    expect(() => compileFilter({ topic: ["x"] }, ["filter"])).toThrow(
      "filter.topic: unknown field; a filter matches on attributes and body",
    );
    expect(() => compileFilter({ $or: [{ body: {} }, { nope: {} }] }, ["filter"])).toThrow(
      "filter.$or[1].nope: unknown field",
    );
  });

  it("matches attributes, and the body parsed as JSON (from a Buffer too)", () => {
    const filter = compileFilter({
      attributes: { topic: ["orders"] },
      body: { order: { total: [{ numeric: [">=", 100] }] } },
    });
    const json = Buffer.from(JSON.stringify({ order: { total: 120 } }));
    expect(filter(filterView(record("1", { attributes: { topic: "orders" }, body: json })))).toBe(
      true,
    );
    expect(
      filter(
        filterView(
          record("2", { attributes: { topic: "orders" }, body: { order: { total: 99 } } }),
        ),
      ),
    ).toBe(false);
    expect(filter(filterView(record("3", { attributes: { topic: "other" }, body: json })))).toBe(
      false,
    );
  });

  it("sees a body that is not JSON as its text", () => {
    const filter = compileFilter({ body: [{ prefix: "hello" }] });
    expect(filter(filterView(record("1", { body: Buffer.from("hello world") })))).toBe(true);
    expect(filter(filterView(record("2", { body: "goodbye" })))).toBe(false);
  });
});
