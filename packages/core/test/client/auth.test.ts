import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AkSkAuth, akskAuth } from "../../src/client/auth/aksk.js";
import { type IamAuth, iamAuth } from "../../src/client/auth/iam.js";
import {
  computeSignature,
  parseAuthorization,
  parseSdkDate,
} from "../../src/client/auth/signature.js";
import { tokenAuth } from "../../src/client/auth/token.js";
import { createClient } from "../../src/client/client.js";
import { ApiError, AuthError, ConnectionError } from "../../src/client/errors.js";
import {
  envelope,
  json,
  PROJECT,
  type Recorded,
  startServer,
  type TestServer,
  URN,
} from "./helpers/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

const fgCalls = () => server.requests.filter((r) => r.url.startsWith("/v2/"));
const logins = () => server.requests.filter((r) => r.url === "/v3/auth/tokens");

describe("TokenAuth", () => {
  it("sends X-Auth-Token", async () => {
    server.handle((_req, res) => json(res, 200, envelope("1")));
    const client = createClient({
      endpoint: server.url,
      projectId: PROJECT,
      auth: tokenAuth("tok-123"),
    });
    await client.invoke(URN, {});
    await client.invokeAsync(URN, {}).catch(() => undefined);
    expect(server.requests.map((r) => r.headers["x-auth-token"])).toEqual(["tok-123", "tok-123"]);
    await client.close();
  });

  it("reports a 401 without retrying (a static token cannot refresh)", async () => {
    server.handle((_req, res) =>
      json(res, 401, { error_code: "FSS.0401", error_msg: "token expired" }),
    );
    const client = createClient({
      endpoint: server.url,
      projectId: PROJECT,
      auth: tokenAuth("old"),
    });
    await expect(client.invoke(URN, {})).rejects.toMatchObject({ status: 401, retryable: false });
    expect(server.requests).toHaveLength(1);
    await client.close();
  });

  it("refuses an empty token", () => {
    expect(() => tokenAuth("")).toThrow(/token/);
  });
});

describe("IamAuth", () => {
  /** IAM answers with tokens tok-1, tok-2, ...; FunctionGraph accepts those in `valid`. */
  function fakeCloud(opts: {
    valid: (token: string) => boolean;
    lifetimeMs?: number;
    loginDelayMs?: number;
  }) {
    let issued = 0;
    server.handle(async (req: Recorded, res) => {
      if (req.url === "/v3/auth/tokens") {
        await new Promise((r) => setTimeout(r, opts.loginDelayMs ?? 0));
        const body = JSON.parse(req.body.toString());
        if (body.auth.identity.password.user.password !== "s3cret-pw") {
          json(res, 401, {
            error: { code: "APIGW.0301", message: "The username or password is wrong." },
          });
          return;
        }
        issued++;
        const expiresAt = new Date(Date.now() + (opts.lifetimeMs ?? 24 * 3600_000)).toISOString();
        json(
          res,
          201,
          { token: { expires_at: expiresAt } },
          { "X-Subject-Token": `tok-${issued}` },
        );
        return;
      }
      if (!opts.valid(String(req.headers["x-auth-token"]))) {
        json(res, 401, { error_code: "FSS.0401", error_msg: "unauthorized" });
        return;
      }
      json(res, 200, envelope(JSON.stringify(req.headers["x-auth-token"])));
    });
  }

  const options = (extra: Partial<ConstructorParameters<typeof IamAuth>[0]> = {}) => ({
    username: "alice",
    password: "s3cret-pw",
    domainName: "acme",
    region: "cn-north-4",
    endpoint: server.url,
    ...extra,
  });

  it("logs in once with the documented body and reuses the cached token", async () => {
    fakeCloud({ valid: () => true });
    const auth = iamAuth(options());
    const client = createClient({ endpoint: server.url, projectId: PROJECT, auth });
    for (let i = 0; i < 5; i++) expect((await client.invoke(URN, {})).json).toBe("tok-1");
    expect(logins()).toHaveLength(1);
    expect(JSON.parse(logins()[0]!.body.toString())).toEqual({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: "alice", password: "s3cret-pw", domain: { name: "acme" } } },
        },
        scope: { project: { name: "cn-north-4" } },
      },
    });
    expect(auth.logins).toBe(1);
    await client.close();
    await auth.close();
  });

  it("shares one login among concurrent calls (single flight)", async () => {
    fakeCloud({ valid: () => true, loginDelayMs: 50 });
    const auth = iamAuth(options());
    const client = createClient({ endpoint: server.url, projectId: PROJECT, auth });
    const results = await Promise.all(Array.from({ length: 20 }, () => client.invoke(URN, {})));
    expect(results.every((r) => r.json === "tok-1")).toBe(true);
    expect(logins()).toHaveLength(1);
    await client.close();
    await auth.close();
  });

  it("on a 401 logs in again and retries exactly once", async () => {
    // Only tok-2 is accepted: the first call gets 401 with tok-1, logs in, succeeds with tok-2.
    fakeCloud({ valid: (t) => t === "tok-2" });
    const auth = iamAuth(options());
    const client = createClient({ endpoint: server.url, projectId: PROJECT, auth });
    expect((await client.invoke(URN, {})).json).toBe("tok-2");
    expect(logins()).toHaveLength(2);
    expect(fgCalls()).toHaveLength(2);

    // Nothing is accepted: one refresh, one retry, then the 401 is reported.
    server.requests.length = 0;
    fakeCloud({ valid: () => false });
    const err = await client.invoke(URN, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, retryable: false });
    expect(logins()).toHaveLength(1);
    expect(fgCalls()).toHaveLength(2);
    await client.close();
    await auth.close();
  });

  it("concurrent 401s for the same token cause one login", async () => {
    let accepted = "none";
    fakeCloud({ valid: (t) => t === accepted, loginDelayMs: 30 });
    const auth = iamAuth(options());
    const client = createClient({ endpoint: server.url, projectId: PROJECT, auth });
    await client.invoke(URN, {}).catch(() => undefined); // tok-1 rejected, tok-2 rejected
    server.requests.length = 0;
    accepted = "tok-3";
    const results = await Promise.all(Array.from({ length: 10 }, () => client.invoke(URN, {})));
    expect(results.every((r) => r.json === "tok-3")).toBe(true);
    expect(logins()).toHaveLength(1);
    await client.close();
    await auth.close();
  });

  it("refreshes before expiry: in the background within the margin, waiting once expired", async () => {
    fakeCloud({ valid: () => true, lifetimeMs: 24 * 3600_000 });
    let now = Date.now();
    const auth = iamAuth(options({ now: () => now }));
    const client = createClient({ endpoint: server.url, projectId: PROJECT, auth });
    expect((await client.invoke(URN, {})).json).toBe("tok-1");

    now += 22.5 * 3600_000; // more than 1 h before expiry: still cached
    expect((await client.invoke(URN, {})).json).toBe("tok-1");
    expect(logins()).toHaveLength(1);

    now += 1 * 3600_000; // within the 1 h margin: old token used, new one fetched in background
    expect((await client.invoke(URN, {})).json).toBe("tok-1");
    // The refresh runs in the background: poll until calls carry its token. Calls made while it
    // is under way share it (no further login), so exactly two logins remain.
    await vi.waitFor(async () => expect((await client.invoke(URN, {})).json).toBe("tok-2"), {
      timeout: 10_000,
      interval: 20,
    });
    expect(logins()).toHaveLength(2);

    now += 48 * 3600_000; // long expired: the call waits for a new login
    expect((await client.invoke(URN, {})).json).toBe("tok-3");
    expect(logins()).toHaveLength(3);
    await client.close();
    await auth.close();
  });

  it("uses 10% of a short token's lifetime as the margin", async () => {
    fakeCloud({ valid: () => true, lifetimeMs: 600_000 });
    let now = Date.now();
    const auth = iamAuth(options({ now: () => now }));
    await auth.headers();
    const expiresAt = auth.expiresAt!;
    now += 530_000; // 70 s before expiry: outside the 60 s margin
    await auth.headers();
    expect(auth.logins).toBe(1);
    now += 20_000; // 50 s before expiry: inside it
    await auth.headers();
    await new Promise((r) => setTimeout(r, 100));
    expect(auth.logins).toBe(2);
    expect(auth.expiresAt).toBeGreaterThan(expiresAt - 1);
    await auth.close();
  });

  it("reports a refused login as AuthError without the password", async () => {
    fakeCloud({ valid: () => true });
    const auth = iamAuth(options({ password: "wrong-password-xyz" }));
    const client = createClient({ endpoint: server.url, projectId: PROJECT, auth });
    const err = await client.invoke(URN, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(String((err as Error).message)).toMatch(/IAM login failed: 401 APIGW.0301/);
    expect(JSON.stringify(err)).not.toContain("wrong-password-xyz");
    expect(fgCalls()).toHaveLength(0);
    await client.close();
    await auth.close();
  });

  it("reports an unreachable IAM as a (retryable) ConnectionError", async () => {
    const auth = iamAuth(options({ endpoint: "http://127.0.0.1:1" }));
    await expect(auth.headers()).rejects.toBeInstanceOf(ConnectionError);
    await auth.close();
  });

  it("validates its options", () => {
    expect(() => iamAuth({ ...options(), password: "" })).toThrow(/password/);
    expect(() => iamAuth({ username: "a", password: "b", domainName: "c" })).toThrow(/region/);
  });
});

describe("AkSkAuth", () => {
  const AK = "TESTAK0123456789ABCD";
  const SK = "TESTSKabcdefghijklmnopqrstuvwxyz0123456789";

  /** The server side: recomputes the signature with signature.ts from what it received. */
  function verify(req: Recorded, sk: string): boolean {
    const auth = parseAuthorization(String(req.headers.authorization));
    if (!auth) return false;
    const url = new URL(req.url, "http://x");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const expected = computeSignature(
      { method: req.method, path: url.pathname, query: url.searchParams, headers, body: req.body },
      auth.signedHeaders,
      sk,
    );
    return expected === auth.signature && auth.accessKey === AK;
  }

  it("signs requests the server can verify, for every call kind", async () => {
    const verified: boolean[] = [];
    server.handle((req, res) => {
      verified.push(verify(req, SK));
      if (req.url.includes("invocations-async")) json(res, 202, { request_id: "r" });
      else if (req.method === "GET") json(res, 200, { invocations: [], count: 0 });
      else json(res, 200, envelope("1"));
    });
    const client = createClient({
      endpoint: server.url,
      projectId: PROJECT,
      auth: akskAuth({ accessKey: AK, secretKey: SK }),
      logTail: true,
      headers: { "X-Custom": "v" },
    });
    await client.invoke(URN, { k: "v" });
    await client.invoke(`urn:fss:cn-north-4:${PROJECT}:function:default:hello:!prod`, { k: "é" });
    await client.invokeAsync(URN, Buffer.from('{"b":1}'), { instanceMemoryMb: 256 });
    await client.invokeLegacy(URN, "[1,2]");
    await client.listAsyncInvocations(URN, { status: "FAIL", limit: 5, marker: "a b" });
    expect(verified).toEqual([true, true, true, true, true]);

    const req = server.requests[0]!;
    expect(req.headers["x-project-id"]).toBe(PROJECT);
    expect(req.headers.host).toBe(`127.0.0.1:${server.port}`);
    expect(parseSdkDate(String(req.headers["x-sdk-date"]))).toBeInstanceOf(Date);
    expect(req.headers["x-security-token"]).toBeUndefined();
    const signed = parseAuthorization(String(req.headers.authorization))!.signedHeaders;
    expect(signed).toEqual([
      "content-type",
      "host",
      "x-cff-log-type",
      "x-cff-request-version",
      "x-custom",
      "x-project-id",
      "x-sdk-date",
    ]);
    // A wrong secret key does not verify.
    expect(verify(req, `${SK}x`)).toBe(false);
    await client.close();
  });

  it("sends and signs X-Security-Token for temporary credentials", async () => {
    let ok = false;
    server.handle((req, res) => {
      ok = verify(req, SK);
      json(res, 200, envelope("1"));
    });
    const client = createClient({
      endpoint: server.url,
      projectId: PROJECT,
      auth: akskAuth({ accessKey: AK, secretKey: SK, securityToken: "sts-token-value" }),
    });
    await client.invoke(URN, {});
    const req = server.requests[0]!;
    expect(req.headers["x-security-token"]).toBe("sts-token-value");
    expect(parseAuthorization(String(req.headers.authorization))!.signedHeaders).toContain(
      "x-security-token",
    );
    expect(ok).toBe(true);
    await client.close();
  });

  it("reads CLOUD_SDK_AK/SK, then HUAWEICLOUD_SDK_AK/SK, from the environment", async () => {
    let ok = false;
    server.handle((req, res) => {
      ok = verify(req, SK);
      json(res, 200, envelope("1"));
    });
    const fromCloud = new AkSkAuth({
      env: {
        CLOUD_SDK_AK: AK,
        CLOUD_SDK_SK: SK,
        HUAWEICLOUD_SDK_AK: "other",
        HUAWEICLOUD_SDK_SK: "other",
      },
    });
    expect(fromCloud.source).toBe("CLOUD_SDK_AK");
    const fromHw = new AkSkAuth({ env: { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK } });
    expect(fromHw.source).toBe("HUAWEICLOUD_SDK_AK");
    const client = createClient({ endpoint: server.url, projectId: PROJECT, auth: fromHw });
    await client.invoke(URN, {});
    expect(ok).toBe(true);
    await client.close();

    // process.env is the default source.
    const saved = { ak: process.env.CLOUD_SDK_AK, sk: process.env.CLOUD_SDK_SK };
    process.env.CLOUD_SDK_AK = AK;
    process.env.CLOUD_SDK_SK = SK;
    try {
      expect(akskAuth().source).toBe("CLOUD_SDK_AK");
    } finally {
      if (saved.ak === undefined) delete process.env.CLOUD_SDK_AK;
      else process.env.CLOUD_SDK_AK = saved.ak;
      if (saved.sk === undefined) delete process.env.CLOUD_SDK_SK;
      else process.env.CLOUD_SDK_SK = saved.sk;
    }
  });

  it("throws a clear AuthError when no keys are found", () => {
    expect(() => new AkSkAuth({ env: {} })).toThrow(AuthError);
    expect(() => new AkSkAuth({ env: {} })).toThrow(/CLOUD_SDK_AK/);
    expect(() => new AkSkAuth({ env: { CLOUD_SDK_AK: AK } })).toThrow(AuthError);
    expect(() => akskAuth({ accessKey: AK })).toThrow(/secret key is missing/);
  });
});

describe("custom providers", () => {
  it("turns a provider's untyped failure into AuthError, before anything is sent", async () => {
    const client = createClient({
      endpoint: server.url,
      projectId: PROJECT,
      auth: {
        kind: "vault",
        headers: async () => {
          throw new Error("vault sealed");
        },
      },
    });
    await expect(client.invoke(URN, {})).rejects.toMatchObject({
      name: "AuthError",
      message: "the vault auth provider failed: vault sealed",
    });
    expect(server.requests).toHaveLength(0);
    await client.close();
  });
});
