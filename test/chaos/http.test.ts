import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Emulator, loadFunctions, startEmulator } from "@fgconnect/emulator";
import { Agent, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../harness/child-server.js";
import { ChaosDaemon, DELIVERY, KILLS, missing } from "./chaos.js";
import { FUNCTION_NAME } from "./recording-function.js";

/** Callers per route, each with one request at a time. */
const CALLERS = 6;
/** How long the daemon stays down after each SIGKILL: callers are refused and try again. */
const DOWN_MS = 500;
const RETRY_MS = 50;

/** What the callers saw: the ids acknowledged, and every answer that was not a success. */
interface Callers {
  /** Ids whose caller got 200 (sync) or 202 (async), with the async request id. */
  acked: Map<string, string | undefined>;
  /** Ids sent and not answered yet. */
  inFlight: Set<string>;
  /** Failed attempts by HTTP status or error code. */
  errors: Map<string, number>;
  /** Ids a caller took up; each is retried until acknowledged. */
  issued: string[];
}

/**
 * Callers that each send `<route>` requests with ids `<prefix><caller>-<n>` one after another
 * and, on any answer but success (a 502, a reset connection, a refused one), send the same id
 * again, until `done()` holds; each finishes the id it holds before it stops.
 */
function startCallers(
  url: string,
  route: "sync" | "async",
  c: Callers,
  done: () => boolean,
  agent: Agent,
): Promise<void>[] {
  const ok = route === "sync" ? 200 : 202;
  return Array.from({ length: CALLERS }, async (_, caller) => {
    for (let n = 0; !done(); n++) {
      const id = `${route[0]}${caller}-${n}`;
      c.issued.push(id);
      for (;;) {
        c.inFlight.add(id);
        let failure: string;
        try {
          const res = await request(`${url}/${route}`, {
            method: "POST",
            body: JSON.stringify({ id }),
            headers: { "content-type": "application/json" },
            dispatcher: agent,
          });
          const body = await res.body.text();
          if (res.statusCode === ok) {
            c.acked.set(id, route === "async" ? JSON.parse(body).request_id : undefined);
            break;
          }
          failure = String(res.statusCode);
        } catch (error) {
          failure = (error as { code?: string }).code ?? String(error);
        } finally {
          c.inFlight.delete(id);
        }
        c.errors.set(failure, (c.errors.get(failure) ?? 0) + 1);
        await sleep(RETRY_MS);
      }
    }
  });
}

let emulator: Emulator;
let agent: Agent;
let run: ChaosDaemon | undefined;
beforeAll(async () => {
  // FunctionGraph outside the daemon, with quick retries of failed async events.
  emulator = await startEmulator({ auth: false, log: false, async: { retryDelayMs: 20 } });
  agent = new Agent({ connections: 2 * CALLERS });
});
afterEach(() => run?.close());
afterAll(async () => {
  await agent?.close();
  await emulator?.close();
});

describe("the HTTP source's sync and async routes", () => {
  it(`SIGKILLed ${KILLS} times under callers that retry until acknowledged, with a function failing 30% of calls: every acknowledged request delivered or accepted, duplicates within the requests in flight at each kill`, async () => {
    const port = await freePort();
    run = new ChaosDaemon(
      "http",
      {
        ids: "(event) => [{ id: JSON.parse(event.body).id, route: event.resource }]",
        latencyMs: 20,
      },
      {
        functiongraph: {
          endpoint: emulator.url,
          projectId: emulator.projectId,
          region: emulator.region,
        },
        connectors: {
          api: {
            type: "http",
            host: "127.0.0.1",
            port,
            routes: [
              { name: "sync", method: "POST", path: "/sync" },
              { name: "async", method: "POST", path: "/async" },
            ],
          },
        },
        routes: [
          // A function error answers the caller 502 at once (the README's advice), and it retries.
          {
            from: "api",
            filter: { attributes: { route: ["sync"] } },
            delivery: { ...DELIVERY, onFunctionError: "dead-letter" },
          },
          {
            from: "api",
            filter: { attributes: { route: ["async"] } },
            mode: "async",
            delivery: DELIVERY,
          },
        ],
      },
    );
    const sink = (await loadFunctions(join(run.dir, "functions")))[FUNCTION_NAME]!;
    // FunctionGraph's own retries of an async event whose function failed: 3, its most.
    emulator.register(FUNCTION_NAME, {
      ...sink,
      config: { ...sink.config, maxAsyncRetryAttempts: 3 },
    });
    // Besides the function's own failures, 10% of invocations refused by FunctionGraph: the
    // daemon retries those, on both routes.
    emulator.setFault(FUNCTION_NAME, { failure: { ratio: 0.1, status: 503 } });

    const sync: Callers = { acked: new Map(), inFlight: new Set(), errors: new Map(), issued: [] };
    const async: Callers = { acked: new Map(), inFlight: new Set(), errors: new Map(), issued: [] };
    let stopping = false;
    const url = `http://127.0.0.1:${port}`;
    await run.start();
    const callers = [
      ...startCallers(url, "sync", sync, () => stopping, agent),
      ...startCallers(url, "async", async, () => stopping, agent),
    ];
    /** Requests sent and not answered when each SIGKILL was sent. */
    const inFlightAtKills: number[] = [];
    try {
      for (let i = 0; i < KILLS; i++) {
        await run.progress(150);
        inFlightAtKills.push(sync.inFlight.size + async.inFlight.size);
        await run.kill();
        await sleep(DOWN_MS);
        await run.start();
      }
      await run.progress(150);
    } finally {
      stopping = true;
      await Promise.all(callers);
    }
    expect(await run.stop()).toBe(0);
    await emulator.idle();

    const t = run.tally();
    // An async event whose function failed past FunctionGraph's retries was still accepted:
    // it is FunctionGraph's failure record, not a loss of the daemon's.
    const asyncFailed = [...async.acked]
      .filter(([, requestId]) => emulator.asyncResults({ requestId })[0]?.status === "FAIL")
      .map(([id]) => id);
    const failedSet = new Set(asyncFailed);
    const bound = inFlightAtKills.reduce((a, b) => a + b, 0);
    const errors = new Map<string, number>();
    for (const c of [sync, async])
      for (const [what, n] of c.errors) errors.set(what, (errors.get(what) ?? 0) + n);
    run.report(
      sync.issued.length + async.issued.length,
      bound,
      `acknowledged ${sync.acked.size} sync, ${async.acked.size} async (${asyncFailed.length} of them failed past FunctionGraph's retries); in flight at each kill: ${inFlightAtKills.join(", ")}; callers' failed attempts: ${[...errors].map(([w, n]) => `${w} ×${n}`).join(", ")}`,
    );
    // Callers retry until acknowledged: every id they took up was.
    expect.soft(sync.acked.size).toBe(sync.issued.length);
    expect.soft(async.acked.size).toBe(async.issued.length);
    // A 200 means the function returned; a 202 that FunctionGraph accepted the event.
    expect.soft(missing(sync.acked.keys(), t)).toEqual([]);
    expect
      .soft(
        missing(
          [...async.acked.keys()].filter((id) => !failedSet.has(id)),
          t,
        ),
      )
      .toEqual([]);
    for (const [id, requestId] of async.acked)
      expect.soft(emulator.asyncResults({ requestId }), `${id}'s async invocation`).toHaveLength(1);
    // The only answers short of success: 502 (the sync function failed) and cut connections.
    expect.soft([...errors.keys()].filter((w) => /^\d+$/.test(w) && w !== "502")).toEqual([]);
    expect.soft(errors.get("502") ?? 0).toBeGreaterThan(0);
    expect.soft(errors.get("ECONNREFUSED") ?? 0).toBeGreaterThanOrEqual(KILLS);
    // Dead letters are the sync function's failures, each answered 502 or cut by a kill.
    expect.soft(run.deadLetters().length).toBeGreaterThanOrEqual(errors.get("502") ?? 0);
    // A request comes twice only if its caller lost the answer to a kill.
    expect.soft(t.duplicates).toBeLessThanOrEqual(bound);
    expect.soft(run.stackTraces()).toEqual([]);
  });
});
