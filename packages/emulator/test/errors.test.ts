import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { asyncPath, deferred, PROJECT, post, type Reply, start, syncPath } from "./helpers.js";

let emu: Emulator;
const gate = deferred();
const busyStarted = deferred();

beforeAll(async () => {
  emu = await start({
    functions: {
      echo: (e: unknown) => e,
      busy: {
        handler: () => {
          busyStarted.resolve();
          return gate.promise.then(() => "done");
        },
        config: { concurrency: 1 },
      },
      pinned: {
        handler: () => "pinned",
        config: { versions: ["v1"], aliases: { prod: "v1" } },
      },
    },
  });
});
afterAll(() => emu.close());

function expectError(res: Reply, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = res.json();
  expect(body.error_code).toBe(code);
  expect(typeof body.error_msg).toBe("string");
}

describe("API errors", () => {
  it("404 FSS.1051 for an unknown function", async () => {
    expectError(await post(emu, syncPath(emu.urnFor("nope"))), 404, "FSS.1051");
    expectError(await post(emu, asyncPath("other:echo")), 404, "FSS.1051");
  });

  it("404 FSS.1051 for another project or region", async () => {
    const other = "ffffffffffffffffffffffffffffffff";
    expectError(await post(emu, syncPath("echo", other)), 404, "FSS.1051");
    const urn = `urn:fss:eu-west-101:${PROJECT}:function:default:echo:latest`;
    expectError(await post(emu, syncPath(urn)), 404, "FSS.1051");
  });

  it("404 FSS.1052 / FSS.1053 for a version or alias the function does not have", async () => {
    expectError(await post(emu, syncPath(emu.urnFor("pinned", "v2"))), 404, "FSS.1052");
    expectError(await post(emu, syncPath(emu.urnFor("pinned", "!beta"))), 404, "FSS.1053");
    expect((await post(emu, syncPath(emu.urnFor("pinned", "v1")))).text).toBe("pinned");
    expect((await post(emu, syncPath(emu.urnFor("pinned", "!prod")))).text).toBe("pinned");
  });

  it("400 FSS.1309 for a malformed URN", async () => {
    for (const urn of ["urn:fss:cn-north-4:short:function:default:echo", "1bad", "a:b:c:d:e:f"]) {
      expectError(await post(emu, syncPath(encodeURIComponent(urn))), 400, "FSS.1309");
    }
  });

  it("400 FSS.0400 when the path's project differs from the URN's", async () => {
    const urn = emu.urnFor("echo");
    expectError(
      await post(emu, syncPath(urn, "abcdefabcdefabcdefabcdefabcdefab")),
      400,
      "FSS.0400",
    );
  });

  it("400 FSS.0400 for a bad X-Cff-Instance-Memory or X-CFF-Request-Version", async () => {
    const path = syncPath("echo");
    expectError(await post(emu, path, {}, { "X-Cff-Instance-Memory": "100" }), 400, "FSS.0400");
    expectError(await post(emu, path, {}, { "X-CFF-Request-Version": "v9" }), 400, "FSS.0400");
  });

  it("413 FSS.0413 past 6 MB sync and 256 KB async", async () => {
    const big = JSON.stringify({ s: "x".repeat(6 * 1024 * 1024) });
    expectError(await post(emu, syncPath("echo"), big), 413, "FSS.0413");
    const mid = JSON.stringify({ s: "x".repeat(300 * 1024) });
    expectError(await post(emu, asyncPath("echo"), mid), 413, "FSS.0413");
    expect((await post(emu, syncPath("echo"), mid)).status).toBe(200);
  });

  it("413 FSS.0413 for a chunked body that grows past the limit", async () => {
    const { request } = await import("node:http");
    const url = new URL(`${emu.url}${asyncPath("echo")}`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: "POST", headers: { "Transfer-Encoding": "chunked" } });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      for (let i = 0; i < 5; i++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
  });

  it("406 FSS.0406 for a body that is not JSON", async () => {
    expectError(await post(emu, syncPath("echo"), "not json"), 406, "FSS.0406");
    expectError(await post(emu, asyncPath("echo"), "{"), 406, "FSS.0406");
  });

  it("429 FSS.0429 beyond a function's concurrency limit", async () => {
    const first = post(emu, syncPath("busy"));
    await busyStarted.promise; // the first call holds the only slot
    expectError(await post(emu, syncPath("busy")), 429, "FSS.0429");
    gate.resolve();
    expect((await first).text).toBe("done");
    expect((await post(emu, syncPath("busy"))).status).toBe(200);
  });

  it("404 for other paths and 405 for the wrong method", async () => {
    expectError(await post(emu, "/v2/x/nothing"), 404, "FSS.0404");
    const res = await fetch(`${emu.url}${syncPath("echo")}`);
    expect(res.status).toBe(405);
  });
});
