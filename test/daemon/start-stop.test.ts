import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startDaemon, workDir } from "../harness/daemon.js";
import { until } from "../harness/until.js";

let emu: Emulator;
const running: DaemonProcess[] = [];

beforeAll(async () => {
  emu = await startEmulator({
    log: false,
    auth: false,
    functions: { tick: async () => ({ ok: true }) },
  });
});
afterEach(() => {
  for (const d of running.splice(0)) if (d.child.exitCode === null) d.child.kill("SIGKILL");
});
afterAll(() => emu.close());

const ticks = () => emu.invocations.filter((i) => i.urn.includes(":tick:"));
describe("the fgconnect daemon while it starts", () => {
  it("drains and exits 0 on SIGTERM while a broker that does not answer holds the start", async () => {
    const dir = workDir();
    // Port 1: nothing listens, so the Kafka connector's first start takes its retries (tens
    // of seconds) while the cron connector already delivers.
    const daemon = startDaemon(
      dir,
      `
functiongraph:
  endpoint: ${emu.url}
  region: ${emu.region}
  projectId: ${emu.projectId}
connectors:
  ticks:
    type: cron
    stateFile: ./cron-state.json
    schedules: [{ name: every-second, schedule: "* * * * * *" }]
  orders:
    type: kafka
    brokers: ["127.0.0.1:1"]
    groupId: start-stop-test
    topics: [orders]
routes:
  - { from: ticks, to: [tick], mode: sync }
  - { from: orders, to: [tick], mode: sync }
deadLetter: { type: file, path: ./dead-letter.jsonl }
admin: { port: 0 }
shutdown: { deadlineMs: 5000 }
`,
    );
    running.push(daemon);
    const before = ticks().length;
    await until(() => ticks().length > before);
    expect(daemon.lines.some((l) => l.msg === "fgconnect running")).toBe(false);

    const signalled = Date.now();
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited, daemon.stderr()).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(15_000);
    expect(
      daemon.lines.find((l) => l.msg === "stopping: finishing in-flight deliveries"),
    ).toMatchObject({ signal: "SIGTERM", starting: true });
    expect(daemon.lines.find((l) => l.msg === "stopped")).toMatchObject({
      drained: true,
      abandoned: 0,
    });
    expect(daemon.lines.some((l) => l.msg === "fgconnect running")).toBe(false);
  });
});
