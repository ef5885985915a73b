import type { InvokeResult } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { httpOptionsSchema, pathProblem } from "../src/options.js";
import { routePath } from "../src/paths.js";
import { answerOf } from "../src/response.js";

const result = (json: unknown): InvokeResult => ({
  requestId: "r",
  status: 200,
  raw: JSON.stringify(json),
  json,
});

describe("APIG path patterns", () => {
  it("turns {name} into a parameter and a last {name+} into a wildcard", () => {
    expect(routePath("/orders/{id}/lines/{line}")).toEqual({ url: "/orders/:id/lines/:line" });
    expect(routePath("/files/{path+}")).toEqual({ url: "/files/*", greedy: "path" });
  });

  it("refuses patterns APIG would not accept", () => {
    expect(pathProblem("orders")).toMatch(/starts with/);
    expect(pathProblem("/a/{p+}/b")).toMatch(/last segment/);
    expect(pathProblem("/a/x{id}")).toMatch(/whole segment/);
    expect(pathProblem("/a/:id")).toMatch(/\{name\}/);
    expect(pathProblem("/a/{id}")).toBeUndefined();
  });

  it("refuses unknown options", () => {
    const parsed = httpOptionsSchema.safeParse({ routes: [{ name: "a", path: "/a" }], prot: 1 });
    expect(parsed.success).toBe(false);
  });
});

describe("a function's result as the HTTP answer", () => {
  it("merges headers and multiValueHeaders, lower-cased, and undoes base64", () => {
    const a = answerOf(
      result({
        statusCode: 302,
        isBase64Encoded: true,
        headers: { Location: "/x", "Set-Cookie": "old=1" },
        multiValueHeaders: { "Set-Cookie": ["a=1", "b=2"] },
        body: Buffer.from("moved").toString("base64"),
      }),
    );
    expect(a.statusCode).toBe(302);
    expect(a.headers).toEqual({ location: "/x", "set-cookie": ["a=1", "b=2"] });
    expect(a.body.toString()).toBe("moved");
  });

  it("sends a result without a valid statusCode as JSON with 200", () => {
    for (const value of [{ ok: true }, { statusCode: "200" }, [1, 2], "text"]) {
      const a = answerOf(result(value));
      expect(a.statusCode).toBe(200);
      expect(JSON.parse(a.body.toString())).toEqual(value);
    }
  });
});
