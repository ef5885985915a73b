import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, seededRandom } from "../src/index.js";
import { asyncPath, deferred, post, start, syncPath } from "./helpers.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await start({
    async: { retryDelayMs: 5, throttleDelayMs: 5 },
    functions: {
      echo: (e: unknown) => e,
      configured: {
        handler: () => "ok",
        config: { fault: { failure: { ratio: 0.5, status: 500, code: "FSS.0500" } } },
      },
    },
  });
});
afterAll(() => emu.close());

async function statuses(n: number, path: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await post(emu, path)).status);
  return out;
}

describe("fault injection", () => {
  it("fails exactly the given ratio of calls with the chosen status and code", async () => {
    emu.setFault("echo", { failure: { ratio: 0.3, status: 503, code: "FSS.0503" } });
    const got = await statuses(10, syncPath("echo"));
    expect(got).toEqual([200, 200, 200, 503, 200, 200, 503, 200, 200, 503]);
    const res = await post(emu, syncPath("echo"));
    expect(res.status).toBe(200);
    emu.setFault("echo", { failure: { ratio: 1 } });
    const failed = await post(emu, syncPath("echo"));
    expect(failed.status).toBe(503);
    expect(failed.json().error_code).toBe("FSS.0503");
    emu.setFault("echo", undefined);
    expect((await post(emu, syncPath("echo"))).status).toBe(200);
  });

  it("applies faults from the function config", async () => {
    expect(await statuses(4, syncPath("configured"))).toEqual([200, 500, 200, 500]);
  });

  it("makes the handler throw for the function-error ratio", async () => {
    emu.setFault("echo", { functionErrorRatio: 0.5 });
    const flags: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(emu, syncPath("echo"));
      flags.push(res.headers.get("x-is-func-err")!);
      if (res.headers.get("x-is-func-err") === "true") {
        expect(res.json().errorType).toBe("InjectedFunctionError");
      }
    }
    expect(flags).toEqual(["false", "true", "false", "true"]);
    emu.setFault("echo", undefined);
  });

  it("injected function errors are retried for async events", async () => {
    emu.setFault("echo", { functionErrorRatio: 0.5 });
    // Counting: call 1 passes, call 2 (the first async attempt) throws, call 3 (the retry) passes.
    expect((await post(emu, syncPath("echo"))).headers.get("x-is-func-err")).toBe("false");
    const id = (await post(emu, asyncPath("echo"), { a: 1 })).json().request_id;
    await emu.idle();
    expect(emu.asyncResults({ requestId: id })[0]).toMatchObject({
      status: "SUCCESS",
      attempts: 2,
    });
    emu.setFault("echo", undefined);
  });

  it("adds latency", async () => {
    emu.setFault("echo", { latencyMs: 120 });
    const t0 = performance.now();
    await post(emu, syncPath("echo"));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    emu.setFault("echo", undefined);
  });

  it("throttles beyond maxConcurrency with 429, and async events wait instead", async () => {
    const gate = deferred();
    const started = deferred();
    emu.register("held", () => {
      started.resolve();
      return gate.promise.then(() => "released");
    });
    emu.setFault("held", { maxConcurrency: 1 });
    const first = post(emu, syncPath("held"));
    await started.promise; // the first call holds the only slot
    const second = await post(emu, syncPath("held"));
    expect(second.status).toBe(429);
    expect(second.json().error_code).toBe("FSS.0429");
    const id = (await post(emu, asyncPath("held"))).json().request_id;
    await new Promise((r) => setTimeout(r, 30));
    expect(emu.asyncResults({ requestId: id })[0]!.status).toBe("WAIT");
    gate.resolve();
    expect((await first).text).toBe("released");
    await emu.idle();
    expect(emu.asyncResults({ requestId: id })[0]).toMatchObject({
      status: "SUCCESS",
      attempts: 1,
    });
  });

  it("draws ratios from a seeded random source when given one", async () => {
    const run = async () => {
      const e = await start({ random: seededRandom(7), functions: { f: () => 1 } });
      e.setFault("f", { failure: { ratio: 0.5 } });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await post(e, syncPath("f"))).status);
      await e.close();
      return out;
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a.filter((s) => s === 503).length).toBeGreaterThan(3);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(3);
  });

  it("validates faults", () => {
    expect(() => emu.setFault("echo", { failure: { ratio: 2 } })).toThrow(/ratio/);
    expect(() => emu.setFault("nope", {})).toThrow(/no function/);
  });
});
