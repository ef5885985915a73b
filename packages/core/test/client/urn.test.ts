import { describe, expect, it } from "vitest";
import { InvalidUrnError } from "../../src/client/errors.js";
import { formatUrn, parseUrn } from "../../src/client/urn.js";

const P = "0123456789abcdef0123456789abcdef";
const defaults = { region: "cn-north-4", projectId: P };

describe("parseUrn", () => {
  it.each([
    [
      `urn:fss:cn-north-4:${P}:function:default:hello:latest`,
      { package: "default", name: "hello", version: "latest" },
    ],
    [
      `urn:fss:eu-de:${P}:function:pkg:my_fn-2:v20170830-181539`,
      { region: "eu-de", package: "pkg", name: "my_fn-2", version: "v20170830-181539" },
    ],
    [`urn:fss:cn-north-4:${P}:function:default:hello:!prod`, { name: "hello", alias: "prod" }],
    [`urn:fss:cn-north-4:${P}:function:default:hello`, { name: "hello", version: "latest" }],
    ["hello", { package: "default", name: "hello", version: "latest", region: "cn-north-4" }],
    ["pkg:hello", { package: "pkg", name: "hello" }],
    [`${P}:pkg:hello`, { projectId: P, package: "pkg", name: "hello", version: "latest" }],
    [`${P}:pkg:hello:v1`, { package: "pkg", name: "hello", version: "v1" }],
  ])("accepts %s", (input, expected) => {
    expect(parseUrn(input, defaults)).toMatchObject(expected);
  });

  it.each([
    ["", "empty"],
    [`urn:xyz:cn-north-4:${P}:function:default:hello:latest`, '"fss"'],
    [`urn:fss:cn-north-4:${P}:func:default:hello:latest`, '"function"'],
    [`urn:fss:cn-north-4:${P}:function:default`, "7 or 8"],
    [`urn:fss:cn-north-4:short:function:default:hello:latest`, "32 letters or digits"],
    [`urn:fss:CN:${P}:function:default:hello:latest`, "region"],
    ["1hello", "start with a letter"],
    ["hello-", "end with a letter or digit"],
    [`a${"b".repeat(60)}`, "1-60"],
    ["pkg:hel lo", "function name"],
    [`urn:fss:cn-north-4:${P}:function:default:hello:!`, "alias"],
    [`urn:fss:cn-north-4:${P}:function:default:hello:`, "empty"],
    [`urn:fss:cn-north-4:${P}:function:de fault:hello:latest`, "package"],
    [`${"x".repeat(270)}`, "269"],
    ["a:b:c:d:e", "expected a full"],
  ])("rejects %s (%s)", (input, reason) => {
    const attempt = () => parseUrn(input, defaults);
    expect(attempt).toThrow(InvalidUrnError);
    expect(attempt).toThrow(reason);
  });

  it("needs a region and project for short forms", () => {
    expect(() => parseUrn("hello")).toThrow("no region");
    expect(() => parseUrn("hello", { region: "cn-north-4" })).toThrow("no project id");
  });

  it("formats the canonical URN", () => {
    expect(formatUrn(parseUrn("pkg:hello", defaults))).toBe(
      `urn:fss:cn-north-4:${P}:function:pkg:hello:latest`,
    );
    expect(formatUrn(parseUrn(`${P}:pkg:hello:!blue`, defaults))).toBe(
      `urn:fss:cn-north-4:${P}:function:pkg:hello:!blue`,
    );
  });
});
