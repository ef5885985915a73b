import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { asyncPath, deferred, get, post, start, statusPath } from "./helpers.js";

let emu: Emulator;
let flakyCalls = 0;

beforeAll(async () => {
  emu = await start({
    async: { retryDelayMs: 10 },
    functions: {
      ok: (e: { n: number }) => ({ doubled: e.n * 2 }),
      fails: {
        handler: () => {
          throw new RangeError("always");
        },
        config: { maxAsyncRetryAttempts: 2 },
      },
      noretry: {
        handler: () => {
          throw new Error("once");
        },
        config: { maxAsyncRetryAttempts: 0 },
      },
      flaky: {
        handler: () => {
          flakyCalls++;
          if (flakyCalls === 1) throw new Error("first time");
          return "second time lucky";
        },
      },
    },
  });
});
afterAll(() => emu.close());

describe("async invocation", () => {
  it("answers 202 with a request id at once, then runs the function", async () => {
    const res = await post(emu, asyncPath(emu.urnFor("ok")), { n: 21 });
    expect(res.status).toBe(202);
    const { request_id } = res.json();
    expect(request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.headers.get("x-cff-request-id")).toBe(request_id);
    await emu.idle();
    const [r] = emu.asyncResults({ requestId: request_id });
    expect(r).toMatchObject({ status: "SUCCESS", attempts: 1, result: '{"doubled":42}' });

    const q = await get(emu, statusPath(emu.urnFor("ok"), `request_id=${request_id}`));
    expect(q.status).toBe(200);
    const body = q.json();
    expect(body.count).toBe(1);
    expect(body.next_marker).toBe(0);
    expect(body.invocations[0]).toEqual({
      request_id,
      status: "SUCCESS",
      error_code: "",
      error_message: "",
      start_time: expect.stringMatching(/^\d{4}-.*Z$/),
      end_time: expect.stringMatching(/^\d{4}-.*Z$/),
    });
  });

  it("retries a failing function per its config, then FAIL with an on-failure record", async () => {
    const res = await post(emu, asyncPath(emu.urnFor("fails")), { x: 1 });
    const { request_id } = res.json();
    await emu.idle();
    const [r] = emu.asyncResults({ requestId: request_id });
    expect(r).toMatchObject({
      status: "FAIL",
      attempts: 3,
      errorCode: "1",
      errorMessage: "always",
    });
    const q = (await get(emu, statusPath("fails", "status=FAIL"))).json();
    expect(q.invocations[0]).toMatchObject({ request_id, status: "FAIL", error_message: "always" });
    const failure = emu.asyncFailures().find((f) => f.request_context.request_id === request_id);
    expect(failure).toMatchObject({
      request_context: {
        request_id,
        function_urn: emu.urnFor("fails"),
        condition: "RangeError",
        approximate_invoke_count: 3,
      },
      request_payload: '{"x":1}',
      response_context: { status_code: 200, function_error: "RangeError" },
    });
    expect(JSON.parse(failure!.response_payload).errorMessage).toBe("always");
  });

  it("does not retry with maxAsyncRetryAttempts 0, and succeeds on a retry", async () => {
    const a = (await post(emu, asyncPath("noretry"))).json().request_id;
    const b = (await post(emu, asyncPath("flaky"))).json().request_id;
    await emu.idle();
    expect(emu.asyncResults({ requestId: a })[0]).toMatchObject({ status: "FAIL", attempts: 1 });
    expect(emu.asyncResults({ requestId: b })[0]).toMatchObject({
      status: "SUCCESS",
      attempts: 2,
      result: "second time lucky",
    });
  });

  it("pages the status query newest first and filters by status", async () => {
    const ids: string[] = [];
    for (let n = 0; n < 5; n++)
      ids.push((await post(emu, asyncPath("ok"), { n })).json().request_id);
    await emu.idle();
    const first = (await get(emu, statusPath("ok", "limit=2"))).json();
    expect(first.count).toBe(6);
    expect(first.invocations.map((i: { request_id: string }) => i.request_id)).toEqual([
      ids[4],
      ids[3],
    ]);
    expect(first.next_marker).toBe(2);
    const last = (await get(emu, statusPath("ok", "limit=4&marker=4"))).json();
    expect(last.invocations).toHaveLength(2);
    expect(last.next_marker).toBe(0);
    expect((await get(emu, statusPath("ok", "status=FAIL"))).json().count).toBe(0);
    expect((await get(emu, statusPath("ok", "status=NOPE"))).status).toBe(400);
    expect((await get(emu, statusPath("ok", "limit=0"))).status).toBe(400);
  });

  it("answers 429 FSS.0429 when the queue is full, and shows WAIT/RUNNING meanwhile", async () => {
    const gate = deferred();
    const small = await start({
      async: { queueSize: 1, concurrency: 1 },
      functions: { hold: () => gate.promise },
    });
    try {
      const a = (await post(small, asyncPath("hold"))).json().request_id;
      const b = (await post(small, asyncPath("hold"))).json().request_id;
      const c = await post(small, asyncPath("hold"));
      expect(c.status).toBe(429);
      expect(c.json().error_code).toBe("FSS.0429");
      expect(small.asyncResults({ requestId: a })[0]!.status).toBe("RUNNING");
      expect(small.asyncResults({ requestId: b })[0]!.status).toBe("WAIT");
      gate.resolve();
      await small.idle();
      expect(small.asyncResults().map((r) => r.status)).toEqual(["SUCCESS", "SUCCESS"]);
    } finally {
      await small.close();
    }
  });

  it("discards events older than maxAsyncEventAgeSeconds", async () => {
    const gate = deferred();
    const aged = await start({
      async: { concurrency: 1 },
      functions: {
        hold: { handler: () => gate.promise, config: { maxAsyncEventAgeSeconds: 1 } },
      },
    });
    try {
      await post(aged, asyncPath("hold"));
      const late = (await post(aged, asyncPath("hold"), { late: true })).json().request_id;
      await new Promise((r) => setTimeout(r, 1100));
      gate.resolve();
      await aged.idle();
      expect(aged.asyncResults({ requestId: late })[0]!.status).toBe("DISCARD");
      expect(aged.asyncFailures()[0]!.request_context.condition).toBe("EventAgeExceeded");
    } finally {
      await aged.close();
    }
  });
});
