import { signature } from "@fgconnect/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { get, post, type Reply, sign, start, statusPath, syncPath } from "./helpers.js";

const AK = "TESTAK0123456789ABCD";
const SK = "TESTSKabcdefghijklmnopqrstuvwxyz0123456789";

let emu: Emulator;
beforeAll(async () => {
  emu = await start({
    auth: { tokens: ["good-token"], keys: { [AK]: SK } },
    functions: { echo: (e: unknown) => e },
  });
});
afterAll(() => emu.close());

const body = '{"k":"v"}';
const v1 = { "X-CFF-Request-Version": "v1", "X-Cff-Log-Type": "tail" };

function expect401(res: Reply, code: string) {
  expect(res.status).toBe(401);
  const b = res.json();
  expect(b.error_code).toBe(code);
  if (code === "APIGW.0301") {
    expect(b.error_msg).toMatch(
      /^Incorrect IAM authentication information: verify aksk signature fail/,
    );
    expect(b.request_id).toMatch(/^[0-9a-f-]{36}$/);
  }
}

describe("token auth", () => {
  it("accepts a configured token", async () => {
    const res = await post(emu, syncPath("echo"), body, { "X-Auth-Token": "good-token" });
    expect(res.status).toBe(200);
  });
  it("refuses a missing or wrong token with 401 FSS.0401", async () => {
    expect401(await post(emu, syncPath("echo"), body), "FSS.0401");
    expect401(await post(emu, syncPath("echo"), body, { "X-Auth-Token": "bad" }), "FSS.0401");
  });
});

describe("AK/SK signatures", () => {
  const path = () => syncPath(emu.urnFor("echo"));

  it("accepts a correctly signed request", async () => {
    const headers = sign(emu, "POST", path(), body, AK, SK, { extra: v1 });
    const res = await post(emu, path(), body, headers);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.json().result)).toEqual({ k: "v" });
  });

  it("accepts a request signed over a percent-encoded URN", async () => {
    const encoded = syncPath(encodeURIComponent(emu.urnFor("echo", "!prod")));
    const headers = sign(emu, "POST", encoded, body, AK, SK);
    expect((await post(emu, encoded, body, headers)).status).toBe(200);
  });

  it("accepts UNSIGNED-PAYLOAD", async () => {
    const headers = sign(emu, "POST", path(), body, AK, SK, {
      extra: { "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD" },
    });
    expect((await post(emu, path(), body, headers)).status).toBe(200);
  });

  it("verifies a signed GET with a query", async () => {
    const p = statusPath(emu.urnFor("echo"), "limit=5&status=SUCCESS");
    const headers = sign(emu, "GET", p, "", AK, SK);
    expect((await get(emu, p, headers)).status).toBe(200);
    const tampered = statusPath(emu.urnFor("echo"), "limit=6&status=SUCCESS");
    expect401(await get(emu, tampered, headers), "APIGW.0301");
  });

  it("refuses a tampered signature", async () => {
    const headers = sign(emu, "POST", path(), body, AK, SK);
    const parsed = signature.parseAuthorization(headers.Authorization!)!;
    const flipped = (parsed.signature[0] === "a" ? "b" : "a") + parsed.signature.slice(1);
    headers.Authorization = signature.authorizationHeader(AK, parsed.signedHeaders, flipped);
    expect401(await post(emu, path(), body, headers), "APIGW.0301");
  });

  it("refuses a tampered body", async () => {
    const headers = sign(emu, "POST", path(), body, AK, SK);
    expect401(await post(emu, path(), '{"k":"w"}', headers), "APIGW.0301");
  });

  it("refuses a tampered signed header", async () => {
    const headers = sign(emu, "POST", path(), body, AK, SK, { extra: v1 });
    headers["X-Cff-Log-Type"] = "none";
    expect401(await post(emu, path(), body, headers), "APIGW.0301");
  });

  it("refuses a date outside the clock skew", async () => {
    const date = new Date(Date.now() - 16 * 60 * 1000);
    const headers = sign(emu, "POST", path(), body, AK, SK, { date });
    expect401(await post(emu, path(), body, headers), "APIGW.0301");
    const future = new Date(Date.now() + 16 * 60 * 1000);
    expect401(
      await post(emu, path(), body, sign(emu, "POST", path(), body, AK, SK, { date: future })),
      "APIGW.0301",
    );
  });

  it("refuses an unknown AK and a wrong SK", async () => {
    expect401(
      await post(emu, path(), body, sign(emu, "POST", path(), body, "OTHERAK", SK)),
      "APIGW.0301",
    );
    expect401(
      await post(emu, path(), body, sign(emu, "POST", path(), body, AK, `${SK}x`)),
      "APIGW.0301",
    );
  });

  it("refuses a malformed Authorization header", async () => {
    expect401(await post(emu, path(), body, { Authorization: "Bearer abc" }), "APIGW.0301");
  });
});

describe("default and disabled auth", () => {
  it("by default accepts any credentials but requires some", async () => {
    const open = await start({ auth: undefined, functions: { echo: (e: unknown) => e } });
    try {
      expect(
        (await post(open, syncPath("echo"), body, { "X-Auth-Token": "anything" })).status,
      ).toBe(200);
      const signed = sign(open, "POST", syncPath("echo"), body, "ANYAK", "ANYSK");
      expect((await post(open, syncPath("echo"), body, signed)).status).toBe(200);
      expect((await post(open, syncPath("echo"), body)).status).toBe(401);
    } finally {
      await open.close();
    }
  });

  it("auth: false needs nothing", async () => {
    const off = await start({ auth: false, functions: { echo: (e: unknown) => e } });
    try {
      expect((await post(off, syncPath("echo"), body)).status).toBe(200);
    } finally {
      await off.close();
    }
  });
});
