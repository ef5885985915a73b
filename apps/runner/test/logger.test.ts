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
});
