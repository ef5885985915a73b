import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { until } from "../harness/until.js";

let emu: Emulator;
/** Called when the slow function starts running. */
let slowCalled: (() => void) | undefined;
/** The instance memory each call of `sized` ran with. */
const sizes: number[] = [];
const running: DaemonProcess[] = [];

beforeAll(async () => {
  emu = await startEmulator({
    log: false,
    auth: false,
    functions: {
      tick: async (event: { trigger_name: string; time: string }) => ({
        got: event.trigger_name,
        at: event.time,
      }),
      slow: async (event: { time: string }) => {
        slowCalled?.();
        await new Promise((r) => setTimeout(r, 1500));
        return { finished: event.time };
      },
      sized: async (_event: unknown, context: { getMemorySize(): number }) => {
        sizes.push(context.getMemorySize());
        console.log("sized ran with", context.getMemorySize(), "MB");
        return { ok: true };
      },
      broken: async () => {
        throw new Error("this function always fails");
      },
    },
  });
});
afterEach(() => {
  for (const d of running.splice(0)) if (d.child.exitCode === null) d.child.kill("SIGKILL");
});
afterAll(() => emu.close());

const config = (fn: string, extra = "") => `
functiongraph:
  endpoint: ${emu.url}
  region: ${emu.region}
  projectId: ${emu.projectId}
connectors:
  ticks:
    type: cron
    misfire: fire-once
    stateFile: ./cron-state.json
    schedules:
      - name: every-second
        schedule: "* * * * * *"
        userEvent: from the daemon test
routes:
  - name: ticks-route
    from: ticks
    to: [${fn}]
    mode: sync
    delivery: { maxAttempts: 2, firstDelayMs: 10 }
deadLetter: { type: file, path: ./dead-letter.jsonl }
admin: { port: 0 }
shutdown: { deadlineMs: 5000 }
${extra}`;

const start = async (dir: string, text: string) => {
  const d = await startRunningDaemon(dir, text);
  running.push(d);
  return d;
};
const calls = (fn: string) =>
  emu.invocations.filter((i) => i.urn.includes(`:${fn}:`) && i.mode === "sync");
describe("the fgconnect daemon with a cron connector", () => {
  it("delivers timer events, serves health and metrics, and drains on SIGTERM", async () => {
    const dir = workDir();
    const before = calls("tick").length;
    const daemon = await start(dir, config("tick"));
    await until(() => calls("tick").length >= before + 2, 10_000);
    const payload = calls("tick").at(-1)!.payload as Record<string, unknown>;
    expect(payload).toMatchObject({
      version: "v1.0",
      trigger_type: "TIMER",
      trigger_name: "every-second",
      user_event: "from the daemon test",
    });

    expect((await fetch(`${daemon.adminUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${daemon.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      connectors: { ticks: { connected: true } },
    });
    const metrics = await (await fetch(`${daemon.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/fgconnect_records_received_total\{source="ticks"\} [1-9]/);
    expect(metrics).toMatch(
      /fgconnect_records_delivered_total\{route="ticks-route",function="tick",mode="sync"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /fgconnect_invocation_duration_seconds_count\{route="ticks-route",function="tick",mode="sync",outcome="success"\} [1-9]/,
    );
    expect(metrics).toContain('fgconnect_connector_up{connector="ticks",type="cron"} 1');

    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    const stopped = daemon.lines.find((l) => l.msg === "stopped");
    expect(stopped).toMatchObject({ drained: true, abandoned: 0 });
    const state = JSON.parse(readFileSync(join(dir, "cron-state.json"), "utf8"));
    const last = calls("tick").at(-1)!.payload as { time: string };
    expect(new Date(state.lastFire["every-second"]).getTime()).toBe(new Date(last.time).getTime());
  });

  it("on SIGTERM finishes the delivery in flight before it exits", async () => {
    const dir = workDir();
    const daemon = await start(dir, config("slow"));
    expect(emu.invocations.filter((i) => i.urn.includes(":slow:"))).toHaveLength(0);
    const started = emu.invocations.length;
    // Once a tick is being delivered, ask the daemon to stop.
    await new Promise<void>((resolve) => {
      slowCalled = resolve;
    });
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    const finished = emu.invocations.slice(started).filter((i) => i.urn.includes(":slow:"));
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(finished.every((i) => i.status === 200)).toBe(true);
    expect(daemon.lines.find((l) => l.msg === "stopped")).toMatchObject({
      drained: true,
      abandoned: 0,
    });
    const state = JSON.parse(readFileSync(join(dir, "cron-state.json"), "utf8"));
    const last = finished.at(-1)!.payload as { time: string };
    expect(new Date(state.lastFire["every-second"]).getTime()).toBe(new Date(last.time).getTime());
  });

  it("after SIGKILL, a restart fires the missed tick once from the state file", async () => {
    const dir = workDir();
    const first = await start(dir, config("tick"));
    const before = calls("tick").length;
    await until(() => calls("tick").length >= before + 2, 10_000);
    first.child.kill("SIGKILL");
    await first.exited;
    const state = JSON.parse(readFileSync(join(dir, "cron-state.json"), "utf8"));
    const lastDelivered = new Date(state.lastFire["every-second"]).getTime();

    // Down for over two ticks.
    await new Promise((r) => setTimeout(r, 2500));
    const afterKill = calls("tick").length;
    const second = await start(dir, config("tick"));
    const catchUp = await second.waitFor((l) => l.msg === "firing missed ticks");
    expect(catchUp).toMatchObject({ firing: 1, policy: "fire-once" });
    const caughtUpAt = catchUp.time as number;
    await until(() => calls("tick").length >= afterKill + 2, 10_000);
    const times = calls("tick")
      .slice(afterKill)
      .map((c) => new Date((c.payload as { time: string }).time).getTime());
    // Of the ticks missed while down (at least two), exactly one was fired, the latest. The
    // connector fires it while starting, before any scheduled tick (one ordering key keeps them
    // in order): it is the first delivery, and every later one is a scheduled tick after it.
    const caughtUp = times[0]!;
    expect(times.filter((t) => t <= caughtUp)).toEqual([caughtUp]);
    expect(caughtUp - lastDelivered).toBeGreaterThanOrEqual(2000);
    // The latest tick due when the connector read its clock, which it did just before logging:
    // the log time's second, or the one before if a second boundary fell between the two.
    const logSecond = Math.floor(caughtUpAt / 1000) * 1000;
    const latestDue = caughtUpAt - logSecond < 250 ? [logSecond, logSecond - 1000] : [logSecond];
    expect(latestDue).toContain(caughtUp);
    // ...and nothing delivered before the kill came again.
    expect(times.every((t) => t > lastDelivered)).toBe(true);
  });

  it("dead-letters what a failing function cannot take, and keeps running", async () => {
    const dir = workDir();
    const daemon = await start(dir, config("broken"));
    const file = join(dir, "dead-letter.jsonl");
    await until(
      () => existsSync(file) && readFileSync(file, "utf8").trim().split("\n").length >= 2,
      10_000,
    );
    const entry = JSON.parse(readFileSync(file, "utf8").split("\n")[0]!);
    expect(entry).toMatchObject({
      route: "ticks-route",
      attempts: 2,
      error: { name: "FunctionError" },
      record: { source: "ticks", body: { trigger_type: "TIMER" } },
    });
    expect(daemon.child.exitCode).toBeNull();
    const metrics = await (await fetch(`${daemon.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /fgconnect_records_dead_lettered_total\{[^}]*reason="retries exhausted"\} [1-9]/,
    );
  });

  it("invokes with a route's instance memory and logs the log tail it asks for", async () => {
    const dir = workDir();
    const text = config("sized", "log: { invocations: info }").replace(
      "delivery: { maxAttempts: 2, firstDelayMs: 10 }",
      "delivery: { maxAttempts: 2, firstDelayMs: 10, logTail: true, instanceMemoryMb: 512 }",
    );
    const daemon = await start(dir, text);
    const invoked = await daemon.waitFor(
      (l) => l.msg === "invoked" && String(l.function).includes("sized"),
    );
    expect(invoked.functionLog).toContain("sized ran with 512 MB");
    expect(sizes.length).toBeGreaterThanOrEqual(1);
    expect(new Set(sizes)).toEqual(new Set([512]));
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });

  it("stays up when a source cannot be reached: readyz says why, the other sources go on", async () => {
    // Port 1: nothing listens there (a just-freed port could be taken again meanwhile).
    const closed = 1;
    const dir = workDir();
    const before = calls("tick").length;
    const text = config("tick").replace(
      "routes:",
      `  devices:
    type: mqtt
    url: mqtt://127.0.0.1:${closed}
    topics: [{ filter: "sensors/#" }]
routes:`,
    );
    const daemon = await start(dir, text);
    const failed = await daemon.waitFor((l) => l.msg === "connector could not start; retrying");
    expect(failed).toMatchObject({ connector: "devices", type: "mqtt" });
    const ready = await fetch(`${daemon.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as {
      connectors: Record<string, { connected: boolean; detail?: string }>;
    };
    expect(body.connectors.devices!.connected).toBe(false);
    expect(body.connectors.devices!.detail).toMatch(/could not start: .*; retrying in \d+ s/);
    expect(body.connectors.ticks!.connected).toBe(true);
    await until(() => calls("tick").length >= before + 2, 10_000);
    expect(daemon.child.exitCode).toBeNull();
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });
});
