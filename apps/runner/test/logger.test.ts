import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";

describe("createLogger", () => {
  it("never writes secrets, wherever they are nested", () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (d: Buffer) => {
      text += d.toString();
    });
    const logger = createLogger({ level: "info", pretty: false, destination: out });
    logger.info(
      {
        password: "pw-top-secret",
        auth: { type: "aksk", secretKey: "sk-top-secret", token: "tok-top-secret" },
        functiongraph: { auth: { password: "pw2-top-secret", securityToken: "st-top-secret" } },
        headers: { authorization: "SDK-HMAC-SHA256 Access=AK, Signature=sig-top-secret" },
        route: "orders",
      },
      "configured",
    );
    const line = JSON.parse(text.trim());
    expect(text).not.toContain("top-secret");
    expect(line.route).toBe("orders");
    expect(line.auth.secretKey).toBe("[redacted]");
    expect(line.functiongraph.auth.password).toBe("[redacted]");
  });

  it("honours the level", () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (d: Buffer) => {
      text += d.toString();
    });
    const logger = createLogger({ level: "warn", pretty: false, destination: out });
    logger.info({}, "quiet");
    logger.warn({}, "loud");
    expect(text).not.toContain("quiet");
    expect(text).toContain("loud");
  });

  it("writes an error's type, message and code above debug, its stack only at debug", () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (d: Buffer) => {
      text += d.toString();
    });
    const logger = createLogger({ level: "debug", pretty: false, destination: out });
    const error = Object.assign(new TypeError("broker gone"), { code: "ECONNREFUSED" });
    logger.warn({ err: error, connector: "orders" }, "unreachable");
    logger.error(error);
    logger.warn({ stack: "Error: x\n    at y (z.js:1:1)", kafka: "Connection" }, "entry");
    const above = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(text).not.toContain("\\n    at ");
    expect(above.some((l) => "stack" in l)).toBe(false);
    expect(above[0].err).toEqual({
      type: "TypeError",
      message: "broker gone",
      code: "ECONNREFUSED",
    });
    expect(above[0].connector).toBe("orders");
    expect(above[1]).toMatchObject({ msg: "broker gone", err: { type: "TypeError" } });
    expect(above[2]).toMatchObject({ kafka: "Connection", msg: "entry" });
    text = "";
    logger.debug({ err: error }, "details");
    expect(JSON.parse(text).err.stack).toContain("    at ");
  });
});
