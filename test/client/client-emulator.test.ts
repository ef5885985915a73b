import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AbortedError,
  ApiError,
  akskAuth,
  createClient,
  FunctionError,
  type FunctionGraphClient,
  iamAuth,
  PayloadTooLargeError,
  TimeoutError,
  tokenAuth,
} from "@fgconnect/core";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The client and the emulator are two implementations of one wire format: each checks the other.
const AK = "ITESTAK0123456789ABC";
const SK = "ITESTSKabcdefghijklmnopqrstuvwxyz01234567";
const TOKEN = "integration-token";

let emu: Emulator;
let client: FunctionGraphClient;
const clients: FunctionGraphClient[] = [];
const clientWith = (options: Partial<Parameters<typeof createClient>[0]>) => {
  const c = createClient({
    endpoint: emu.url,
    projectId: emu.projectId,
    region: emu.region,
    ...options,
  });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  emu = await startEmulator({
    log: false,
    auth: { tokens: [TOKEN, "iam-token-2"], keys: { [AK]: SK } },
    async: { retryDelayMs: 5 },
    functions: {
      echo: async (event, context) => {
        context.getLogger().info(`got ${JSON.stringify(event)}`);
        return { event, requestId: context.getRequestID() };
      },
      text: async () => "plain text result",
      apig: async () => ({
        statusCode: 201,
        isBase64Encoded: true,
        body: Buffer.from(JSON.stringify({ ok: true })).toString("base64"),
        headers: { "Content-Type": "application/json" },
      }),
      boom: async () => {
        throw new TypeError("the event had no id");
      },
      slow: {
        handler: async () => new Promise((r) => setTimeout(() => r("late"), 2500)),
        config: { timeoutSeconds: 10 },
      },
      flaky: async () => "ok",
    },
  });
  client = clientWith({ auth: akskAuth({ accessKey: AK, secretKey: SK }) });
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await emu.close();
});

describe("sync invocation (v2, v1 envelope)", () => {
  it("returns the result, its JSON, the request id the function saw, the log tail and the summary", async () => {
    const result = await client.invoke(
      "echo",
      { k: "v" },
      { logTail: true, instanceMemoryMb: 512 },
    );
    expect(result.json).toEqual({ event: { k: "v" }, requestId: result.requestId });
    expect(JSON.parse(result.raw)).toEqual(result.json);
    expect(result.status).toBe(200);
    expect(result.log).toContain(`Start invoke request '${result.requestId}'`);
    expect(result.log).toContain('got {"k":"v"}');
    expect(result.summary?.memorySize).toBe(512);
    expect(typeof result.summary?.duration).toBe("number");
    expect(result.billingDurationMs).toBeGreaterThanOrEqual(1);
    expect(emu.invocations.at(-1)).toMatchObject({
      mode: "sync",
      requestId: result.requestId,
      status: 200,
    });
  });

  it("keeps a string result raw, and has no JSON for it", async () => {
    const result = await client.invoke("text", {});
    expect(result.raw).toBe("plain text result");
    expect(result.json).toBeUndefined();
  });

  it("decodes an APIG-style result's base64 JSON body", async () => {
    const result = await client.invoke("apig", {});
    expect(result.apig).toMatchObject({
      statusCode: 201,
      isBase64Encoded: true,
      decodedBody: { ok: true },
    });
    expect(result.apig?.headers).toEqual({ "Content-Type": "application/json" });
  });

  it("accepts full, 7-field and short URNs alike", async () => {
    for (const urn of [
      emu.urnFor("echo"),
      emu.urnFor("echo").replace(/:latest$/, ""),
      "default:echo",
      "echo",
    ]) {
      expect((await client.invoke(urn, { urn })).json).toMatchObject({ event: { urn } });
    }
  });
});

describe("legacy sync invocation (v1.0)", () => {
  it("returns the function's raw result", async () => {
    const result = await client.invokeLegacy("echo", { legacy: true });
    expect(result.json).toMatchObject({ event: { legacy: true } });
    expect(emu.invocations.at(-1)).toMatchObject({ mode: "legacy", status: 200 });
  });
});

describe("async invocation", () => {
  it("is accepted with a request id that the status query then reports as SUCCESS", async () => {
    const { requestId } = await client.invokeAsync("echo", { async: true });
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await emu.idle();
    const page = await client.listAsyncInvocations("echo", { requestId });
    expect(page.invocations).toHaveLength(1);
    expect(page.invocations[0]).toMatchObject({ requestId, status: "SUCCESS" });
  });

  it("reports FAIL once the function's async retries are spent", async () => {
    const { requestId } = await client.invokeAsync("boom", {});
    await emu.idle();
    const page = await client.listAsyncInvocations("boom", { requestId });
    expect(page.invocations[0]).toMatchObject({ requestId, status: "FAIL" });
    expect(emu.asyncFailures().some((f) => f.request_context.request_id === requestId)).toBe(true);
  });
});

describe("errors", () => {
  it("a thrown function error is a FunctionError with its type and message", async () => {
    const err = await client.invoke("boom", {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FunctionError);
    expect(err).toMatchObject({ errorType: "TypeError", errorMessage: "the event had no id" });
    expect((err as FunctionError).requestId).toBe(emu.invocations.at(-1)?.requestId);
  });

  it("an unknown function is a non-retryable 404 FSS.1051 with a hint", async () => {
    const err = await client.invoke("missing", {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: "FSS.1051", retryable: false });
    expect((err as ApiError).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((err as ApiError).hint.length).toBeGreaterThan(10);
  });

  it("an injected 503 is retryable, a throttle is a retryable 429", async () => {
    emu.setFault("flaky", { failure: { ratio: 1, status: 503, code: "FSS.0503" } });
    await expect(client.invoke("flaky", {})).rejects.toMatchObject({
      status: 503,
      code: "FSS.0503",
      retryable: true,
    });
    emu.setFault("flaky", undefined);
    emu.setFault("slow", { maxConcurrency: 1 });
    const outcomes = await Promise.allSettled([
      client.invoke("slow", {}),
      client.invoke("slow", {}),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ status: 429, code: "FSS.0429", retryable: true });
    emu.setFault("slow", undefined);
  });

  it("an oversized event is refused before it is sent", async () => {
    const before = emu.invocations.length;
    const big = { blob: "x".repeat(256 * 1024) };
    await expect(client.invokeAsync("echo", big)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(emu.invocations.length).toBe(before);
    // The same event fits the 6 MB sync limit.
    await expect(client.invoke("echo", big)).resolves.toBeDefined();
  });

  it("times out, and aborts on the caller's signal", async () => {
    const impatient = clientWith({ auth: tokenAuth(TOKEN), timeoutMs: 500 });
    await expect(impatient.invoke("slow", {})).rejects.toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(client.invoke("slow", {}, { signal: controller.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
  });
});

describe("authentication", () => {
  it("accepts a configured token and rejects another", async () => {
    await expect(clientWith({ auth: tokenAuth(TOKEN) }).invoke("echo", {})).resolves.toBeDefined();
    await expect(
      clientWith({ auth: tokenAuth("not-a-token") }).invoke("echo", {}),
    ).rejects.toMatchObject({
      status: 401,
      retryable: false,
    });
  });

  it("rejects a signature made with the wrong secret key", async () => {
    const wrong = clientWith({ auth: akskAuth({ accessKey: AK, secretKey: `${SK}x` }) });
    await expect(wrong.invoke("echo", {})).rejects.toMatchObject({
      status: 401,
      code: "APIGW.0301",
    });
  });

  it("signs async, legacy and status calls too", async () => {
    await expect(client.invokeLegacy("echo", {})).resolves.toBeDefined();
    await expect(client.listAsyncInvocations("echo", { limit: 1 })).resolves.toMatchObject({
      count: expect.any(Number),
    });
  });

  describe("IAM password login", () => {
    let iam: Server;
    let iamUrl: string;
    let logins = 0;
    beforeAll(async () => {
      // IAM's token endpoint: the first login yields a token the emulator does not accept.
      iam = createServer((req, res) => {
        req.resume();
        req.on("end", () => {
          logins++;
          const expires = new Date(Date.now() + 24 * 3600_000).toISOString();
          res.writeHead(201, {
            "X-Subject-Token": `iam-token-${logins}`,
            "Content-Type": "application/json",
          });
          res.end(JSON.stringify({ token: { expires_at: expires } }));
        });
      });
      await new Promise<void>((r) => iam.listen(0, "127.0.0.1", r));
      iamUrl = `http://127.0.0.1:${(iam.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => iam.close(() => r())));

    it("logs in once, and on a 401 logs in again and retries once", async () => {
      const auth = iamAuth({
        username: "u",
        password: "p",
        domainName: "d",
        region: emu.region,
        endpoint: iamUrl,
      });
      const iamClient = clientWith({ auth });
      const result = await iamClient.invoke("echo", { via: "iam" });
      expect(result.json).toMatchObject({ event: { via: "iam" } });
      expect(logins).toBe(2);
      await iamClient.invoke("echo", {});
      expect(logins).toBe(2);
      await auth.close();
    });
  });
});
