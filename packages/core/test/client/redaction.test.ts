import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { akskAuth } from "../../src/client/auth/aksk.js";
import { iamAuth } from "../../src/client/auth/iam.js";
import type { AuthProvider } from "../../src/client/auth/provider.js";
import { tokenAuth } from "../../src/client/auth/token.js";
import { classifyTransportError } from "../../src/client/classify.js";
import { createClient } from "../../src/client/client.js";
import * as errors from "../../src/client/errors.js";
import { envelope, json, PROJECT, startServer, URN } from "./helpers/server.js";

const SECRETS = {
  token: "MIIToken-SECRET-abcdef0123456789",
  password: "P@ssw0rd-SECRET-xyz",
  ak: "AKSECRET0123456789XY",
  sk: "SKSECRET-abcdefghijklmnopqrstuvwxyz0123",
  sts: "STS-SECRET-security-token-value",
  proxyPassword: "proxy-SECRET-pw",
};

function assertClean(value: unknown): void {
  const texts = [
    inspect(value, { depth: 10, showHidden: true }),
    inspect(value, { depth: 10, showHidden: false, customInspect: true }),
    JSON.stringify(value) ?? "",
    String(value),
  ];
  for (const text of texts) {
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  }
}

describe("no credential is printable", () => {
  it("the check itself catches a leak", () => {
    expect(() => assertClean({ t: SECRETS.token })).toThrow();
    expect(() => assertClean(new Error(`x ${SECRETS.sk}`))).toThrow();
  });

  it("providers print their kind, never their secrets", async () => {
    const providers: AuthProvider[] = [
      tokenAuth(SECRETS.token),
      iamAuth({
        username: "alice",
        password: SECRETS.password,
        domainName: "acme",
        region: "cn-north-4",
      }),
      akskAuth({ accessKey: SECRETS.ak, secretKey: SECRETS.sk, securityToken: SECRETS.sts }),
      akskAuth({ env: { CLOUD_SDK_AK: SECRETS.ak, CLOUD_SDK_SK: SECRETS.sk } }),
    ];
    for (const p of providers) {
      assertClean(p);
      expect(inspect(p)).toContain(p.kind);
      expect(JSON.stringify(p)).toContain("[redacted]");
    }
    await providers[1]!.close?.();
  });

  it("clients print without headers or credentials, even after calls", async () => {
    const server = await startServer((_req, res) => json(res, 200, envelope("1")));
    const client = createClient({
      endpoint: server.url,
      projectId: PROJECT,
      auth: tokenAuth(SECRETS.token),
      headers: { "x-api-key": SECRETS.password },
    });
    await client.invoke(URN, {});
    assertClean(client);
    expect(inspect(client)).toContain("token");
    await client.close();
    await server.close();
  });

  it("errors carry no secret: every error class, and failures around credentials", async () => {
    const samples: unknown[] = [
      new errors.InvalidArgumentError("headers", "bad"),
      new errors.InvalidUrnError("urn:fss:x", "bad"),
      new errors.PayloadTooLargeError(10, 5, "sync"),
      new errors.ApiError(
        401,
        "APIGW.0301",
        "verify aksk signature fail",
        "rid",
        false,
        "hint",
        1000,
      ),
      new errors.FunctionError("rid", "TypeError", "boom", "{}", "1"),
      new errors.TimeoutError(100),
      new errors.AbortedError(),
      new errors.ConnectionError("https://x", "ECONNREFUSED"),
      new errors.AuthError("IAM login failed", "hint"),
      new errors.ProtocolError("odd"),
      new errors.ClientClosedError(),
    ];
    // A transport error whose text holds a proxy URL with a password.
    const proxyFailure = Object.assign(
      new Error(`connect ECONNREFUSED via http://bob:${SECRETS.proxyPassword}@proxy:3128`),
      { code: "ECONNREFUSED" },
    );
    samples.push(classifyTransportError(proxyFailure, "https://fg.example", 1000, undefined));
    // Missing keys, bad options with secrets in them.
    for (const make of [
      () => akskAuth({ env: {} }),
      () => akskAuth({ accessKey: SECRETS.ak }),
      () => akskAuth({ accessKey: `${SECRETS.ak} x`, secretKey: SECRETS.sk }),
      () => createClient({ endpoint: `https://u:${SECRETS.password}@h`, projectId: PROJECT }),
      () =>
        createClient({
          region: "cn-north-4",
          projectId: PROJECT,
          headers: { a: `${SECRETS.token}\n` },
        }),
      () => tokenAuth(`${SECRETS.token}\r\n`),
    ]) {
      try {
        make();
        throw new Error("expected a throw");
      } catch (err) {
        samples.push(err);
      }
    }
    // A refused IAM login and an unreachable one.
    const server = await startServer((_req, res) =>
      json(res, 401, {
        error: { code: "APIGW.0301", message: "The username or password is wrong." },
      }),
    );
    for (const endpoint of [server.url, "http://127.0.0.1:1"]) {
      const iam = iamAuth({
        username: "alice",
        password: SECRETS.password,
        domainName: "acme",
        region: "cn-north-4",
        endpoint,
      });
      samples.push(await Promise.resolve(iam.headers()).catch((e: unknown) => e));
      await iam.close();
    }
    await server.close();

    for (const err of samples) {
      expect(err).toBeInstanceOf(errors.FunctionGraphError);
      assertClean(err);
      assertClean((err as Error).cause);
      assertClean({ ...(err as object) });
    }
  });
});
