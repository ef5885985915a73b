import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { until } from "../harness/until.js";

let emu: Emulator;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  emu = await startEmulator({
    log: false,
    auth: false,
    functions: {
      // Slow enough that the missed ticks are still being delivered when the next ones come due.
      steady: async (event: { time: string }) => {
        await new Promise((r) => setTimeout(r, 400));
        return { at: event.time };
      },
    },
  });
});
afterAll(async () => {
  if (daemon && daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
  await emu.close();
});

describe("a cron connector with misfire fire-all", () => {
  it("delivers every tick after a restart: the missed ones, then each one that came due meanwhile", async () => {
    const dir = workDir();
    // The last delivered tick was eight seconds ago.
    const lastFire = Math.floor(Date.now() / 1000) * 1000 - 8000;
    writeFileSync(
      join(dir, "cron-state.json"),
      JSON.stringify({ lastFire: { "every-second": new Date(lastFire).toISOString() } }),
    );
    daemon = await startRunningDaemon(
      dir,
      `
functiongraph:
  endpoint: ${emu.url}
  region: ${emu.region}
  projectId: ${emu.projectId}
connectors:
  ticks:
    type: cron
    misfire: fire-all
    allowOverlap: false
    stateFile: ./cron-state.json
    schedules:
      - name: every-second
        schedule: "* * * * * *"
routes:
  - { name: ticks-route, from: ticks, to: [steady], mode: sync }
deadLetter: { type: file, path: ./dead-letter.jsonl }
admin: { port: 0 }
shutdown: { deadlineMs: 5000 }
`,
    );
    const delivered = () =>
      emu.invocations
        .filter((i) => i.urn.includes(":steady:"))
        .map((i) => new Date((i.payload as { time: string }).time).getTime());
    const started = Date.now();
    // Eight missed ticks take over three seconds; wait for ticks well after that.
    await until(() => delivered().some((t) => t >= started + 6000), 30_000);
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);

    const times = delivered();
    expect(times[0]).toBe(lastFire + 1000);
    // One tick per second, in order, none skipped and none twice.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.every((g) => g === 1000)).toBe(true);
    expect(daemon.lines.some((l) => String(l.msg).startsWith("tick skipped"))).toBe(false);
  });
});
