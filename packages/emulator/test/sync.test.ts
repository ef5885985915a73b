import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator, FunctionContext } from "../src/index.js";
import { legacyPath, PROJECT, post, start, syncPath } from "./helpers.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await start({
    functions: {
      echo: async (event: unknown) => ({ got: event }),
      text: () => "plain text",
      nothing: () => undefined,
      apig: () => ({
        statusCode: 200,
        isBase64Encoded: false,
        body: JSON.stringify({ key: "value" }),
        headers: { "Content-Type": "application/json" },
      }),
      ctx: {
        handler: async (_event: unknown, context: FunctionContext) => {
          context.getLogger().info("from the logger", { n: 1 });
          console.log("from console", 42);
          return {
            requestId: context.getRequestID(),
            name: context.getFunctionName(),
            version: context.getVersion(),
            pkg: context.getPackage(),
            project: context.getProjectID(),
            memory: context.getMemorySize(),
            timeout: context.getRunningTimeInSeconds(),
            remaining: context.getRemainingTimeInMilliSeconds(),
            user: context.getUserData("COLOR"),
            missing: context.getUserData("NOPE") ?? null,
            ak: context.getAccessKey(),
            sk: context.getSecretKey(),
          };
        },
        config: { package: "tools", environment: { COLOR: "blue" }, timeoutSeconds: 10 },
      },
      boom: () => {
        throw new TypeError("it broke");
      },
      slow: {
        handler: () => new Promise(() => {}),
        config: { timeoutSeconds: 0.1 },
      },
      callback: (_e: unknown, _c: FunctionContext, cb?: (e: unknown, v: unknown) => void) => {
        setTimeout(() => cb?.(null, { via: "callback" }), 1);
      },
      chatty: () => {
        console.log("x".repeat(3000));
        console.log("the end");
        return "ok";
      },
    },
  });
});
afterAll(() => emu.close());

describe("sync invocation", () => {
  it("v0 (default) returns the raw result and the documented headers", async () => {
    const res = await post(emu, syncPath(emu.urnFor("echo")), { k: "v" });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ got: { k: "v" } });
    const id = res.headers.get("x-cff-request-id")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("x-cff-response-version")).toBe("v0");
    expect(res.headers.get("x-func-err-code")).toBe("0");
    expect(res.headers.get("x-is-func-err")).toBe("false");
    expect(res.headers.get("x-cff-function-log")).toBeNull();
    const summary = JSON.parse(res.headers.get("x-cff-invoke-summary")!);
    expect(summary).toMatchObject({ memorySize: 128 });
    expect(summary.duration).toBeGreaterThanOrEqual(0);
    expect(summary.billingDuration).toBeGreaterThanOrEqual(1);
    expect(summary.memoryUsed).toBeGreaterThan(0);
    expect(res.headers.get("x-cff-billing-duration")).toBe(String(summary.billingDuration));
  });

  it("v1 returns the JSON envelope with the result as a string", async () => {
    const res = await post(
      emu,
      syncPath(emu.urnFor("echo")),
      { k: "v" },
      {
        "X-CFF-Request-Version": "v1",
      },
    );
    const body = res.json();
    expect(body).toEqual({
      request_id: res.headers.get("x-cff-request-id"),
      result: '{"got":{"k":"v"}}',
      log: "",
      status: 200,
    });
    expect(res.headers.get("x-cff-response-version")).toBe("v1");
  });

  it("keeps a string result as is, and an APIG object serialised", async () => {
    const v1 = { "X-CFF-Request-Version": "v1" };
    expect((await post(emu, syncPath(emu.urnFor("text")), {}, v1)).json().result).toBe(
      "plain text",
    );
    expect((await post(emu, syncPath(emu.urnFor("text")))).text).toBe("plain text");
    expect((await post(emu, syncPath(emu.urnFor("nothing")), {}, v1)).json().result).toBe("");
    const apig = JSON.parse((await post(emu, syncPath(emu.urnFor("apig")), {}, v1)).json().result);
    expect(apig).toMatchObject({
      statusCode: 200,
      isBase64Encoded: false,
      body: '{"key":"value"}',
    });
  });

  it("accepts the URN raw, percent-encoded and in short forms, with any version or alias", async () => {
    const urn = emu.urnFor("echo");
    for (const u of [
      urn,
      encodeURIComponent(urn),
      "echo",
      "default:echo",
      `${PROJECT}:default:echo`,
      `${PROJECT}:default:echo:latest`,
      `urn:fss:cn-north-4:${PROJECT}:function:default:echo`,
      emu.urnFor("echo", "!prod"),
      encodeURIComponent(emu.urnFor("echo", "!prod")),
      emu.urnFor("echo", "v20170830-181539"),
    ]) {
      const res = await post(emu, syncPath(u), { u });
      expect(res.status, u).toBe(200);
      expect(res.json()).toEqual({ got: { u } });
    }
  });

  it("gives the handler a FunctionGraph context and captures logger and console lines", async () => {
    const res = await post(
      emu,
      syncPath(emu.urnFor("tools:ctx")),
      {},
      { "X-CFF-Request-Version": "v1", "X-Cff-Log-Type": "tail", "X-Cff-Instance-Memory": "512" },
    );
    const body = res.json();
    const result = JSON.parse(body.result);
    expect(result).toMatchObject({
      requestId: body.request_id,
      name: "ctx",
      version: "latest",
      pkg: "tools",
      project: PROJECT,
      memory: 512,
      timeout: 10,
      user: "blue",
      missing: null,
      ak: "",
      sk: "",
    });
    expect(result.remaining).toBeGreaterThan(9000);
    expect(JSON.parse(res.headers.get("x-cff-invoke-summary")!).memorySize).toBe(512);
    const lines = body.log.split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ Start invoke request '${body.request_id}', version: latest$`,
      ),
    );
    expect(lines[1]).toMatch(new RegExp(`Z ${body.request_id} INFO from the logger \\{"n":1\\}$`));
    expect(lines[2]).toBe("from console 42");
    expect(lines[3]).toMatch(
      /Z Finish invoke request '.{36}', duration: \d+\.\d{3}ms, billing duration: \d+ms, memory used: \d+\.\d{3}MB, billing memory: 512MB$/,
    );
    const tail = Buffer.from(res.headers.get("x-cff-function-log")!, "base64").toString("utf8");
    expect(tail).toBe(body.log);
  });

  it("sends only the last 2,000 bytes of the log, base64-encoded, with X-Cff-Log-Type: tail", async () => {
    const res = await post(emu, syncPath(emu.urnFor("chatty")), {}, { "X-Cff-Log-Type": "tail" });
    const tail = Buffer.from(res.headers.get("x-cff-function-log")!, "base64");
    expect(tail.length).toBe(2000);
    expect(tail.toString()).toContain("the end");
    expect(tail.toString()).toMatch(/Finish invoke request/);
  });

  it("returns a thrown error as the result with X-Is-Func-Err", async () => {
    const res = await post(
      emu,
      syncPath(emu.urnFor("boom")),
      {},
      { "X-CFF-Request-Version": "v1" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-is-func-err")).toBe("true");
    expect(res.headers.get("x-func-err-code")).toBe("1");
    const body = res.json();
    expect(body.status).toBe(200);
    const err = JSON.parse(body.result);
    expect(err.errorMessage).toBe("it broke");
    expect(err.errorType).toBe("TypeError");
    expect(Array.isArray(err.stackTrace)).toBe(true);
    expect(err.stackTrace[0]).toMatch(/^at /);
    expect(emu.invocations.at(-1)).toMatchObject({ functionError: true, status: 200 });
  });

  it("ends a function at its timeout with a TimeoutError result", async () => {
    const t0 = Date.now();
    const res = await post(emu, syncPath(emu.urnFor("slow")));
    // The function never settles: only its 0.1 s timeout ends it (slack for a loaded machine).
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(res.headers.get("x-is-func-err")).toBe("true");
    expect(res.headers.get("x-func-err-code")).toBe("2");
    expect(res.json()).toEqual({
      errorMessage: "invocation timed out after 0.1s",
      errorType: "TimeoutError",
    });
  }, 15_000);

  it("supports callback-style handlers", async () => {
    const res = await post(emu, syncPath(emu.urnFor("callback")));
    expect(res.json()).toEqual({ via: "callback" });
  });

  it("answers the legacy v1.0 endpoint with the raw result", async () => {
    const res = await post(emu, legacyPath(emu.urnFor("echo")), { message: "Hello World" });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ got: { message: "Hello World" } });
    expect(JSON.parse(res.headers.get("x-cff-invoke-summary") ?? "null")).toMatchObject({
      duration: expect.any(Number),
      memorySize: 128,
    });
  });

  it("takes an empty body as {}", async () => {
    const res = await post(emu, syncPath("echo"), "");
    expect(res.json()).toEqual({ got: {} });
  });

  it("records every call", async () => {
    const before = emu.invocations.length;
    const res = await post(emu, syncPath("echo"), { rec: 1 });
    const rec = emu.invocations[before]!;
    expect(rec).toMatchObject({
      mode: "sync",
      urn: emu.urnFor("echo"),
      payload: { rec: 1 },
      status: 200,
      requestId: res.headers.get("x-cff-request-id"),
    });
    expect(rec.duration).toBeGreaterThanOrEqual(0);
  });
});
