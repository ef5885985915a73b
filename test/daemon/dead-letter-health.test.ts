import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";

let emu: Emulator;
const running: DaemonProcess[] = [];
/** The function succeeds until the test has made the dead-letter path unwritable. */
let failing = false;

beforeAll(async () => {
  emu = await startEmulator({
    log: false,
    auth: false,
    functions: {
      broken: async () => {
        if (failing) throw new Error("this function fails");
        return { ok: true };
      },
    },
  });
});
afterEach(() => {
  for (const d of running.splice(0)) if (d.child.exitCode === null) d.child.kill("SIGKILL");
});
afterAll(() => emu.close());

const until = async <T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("a dead-letter sink that cannot be written", () => {
  it("makes /readyz answer 503 with the reason until a write succeeds again", async () => {
    const dir = workDir();
    const blocker = join(dir, "blocked");
    const daemon = await startRunningDaemon(
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
    schedules:
      - name: every-second
        schedule: "* * * * * *"
routes:
  - name: ticks-route
    from: ticks
    to: [broken]
    mode: sync
    delivery: { maxAttempts: 1, firstDelayMs: 100, maxDelayMs: 500 }
deadLetter: { type: file, path: ./blocked/dead-letter.jsonl }
admin: { port: 0 }
shutdown: { deadlineMs: 2000 }
`,
    );
    running.push(daemon);
    // Validation refuses a sink directory that cannot be created, so it breaks after the start:
    // a file where the sink's directory should be (no one, root included, can create it), and
    // only then does the function fail (the sink opens its file at the first dead letter).
    writeFileSync(blocker, "not a directory");
    failing = true;

    const notReady = await until(async () => {
      const res = await fetch(`${daemon.adminUrl}/readyz`);
      return res.status === 503 ? ((await res.json()) as Record<string, unknown>) : undefined;
    });
    expect(notReady).toMatchObject({
      status: "not ready",
      connectors: { ticks: { connected: true } },
      deadLetter: { ok: false, reason: expect.stringMatching(/ENOTDIR|EEXIST/) },
    });

    // The path becomes writable: the retried write succeeds and the daemon is ready again.
    rmSync(blocker);
    const ready = await until(async () => {
      const res = await fetch(`${daemon.adminUrl}/readyz`);
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    });
    expect(ready).toMatchObject({ status: "ready", deadLetter: { ok: true } });
    expect(existsSync(join(blocker, "dead-letter.jsonl"))).toBe(true);
  });
});
