import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { until } from "../harness/until.js";

// The emulator verifies every AK/SK signature against these pairs.
const KEYS = {
  TMPAK1AAAAAAAAAAAAAA: "first-secret-0123456789abcdefghijklmnopq",
  TMPAK2BBBBBBBBBBBBBB: "second-secret-0123456789abcdefghijklmnop",
};
const [AK1, AK2] = Object.keys(KEYS) as [keyof typeof KEYS, keyof typeof KEYS];

let emu: Emulator;
const running: DaemonProcess[] = [];

beforeAll(async () => {
  emu = await startEmulator({
    log: false,
    auth: { keys: KEYS },
    functions: { tick: async () => ({ ok: true }) },
  });
});
afterEach(() => {
  for (const d of running.splice(0)) if (d.child.exitCode === null) d.child.kill("SIGKILL");
});
afterAll(() => emu.close());

const credentials = (access: keyof typeof KEYS, expiresAt: number) =>
  JSON.stringify({
    credential: {
      access,
      secret: KEYS[access],
      securitytoken: `security-token-of-${access}`,
      expires_at: new Date(expiresAt).toISOString(),
    },
  });

const ticks = () => emu.invocations.filter((i) => i.urn.includes(":tick:"));
describe("temporary credentials in the daemon", () => {
  it("re-reads the credentials file before expiry; a broken file keeps the current keys and warns once", async () => {
    const dir = workDir();
    const file = join(dir, "credentials.json");
    // The first keys expire 15 s from now; refreshing starts 11 s before that.
    const firstExpiry = Date.now() + 15_000;
    writeFileSync(file, credentials(AK1, firstExpiry));
    const daemon = await startRunningDaemon(
      dir,
      `
functiongraph:
  endpoint: ${emu.url}
  region: ${emu.region}
  projectId: ${emu.projectId}
  auth: { type: temporary, file: ./credentials.json, refreshBeforeMs: 11000 }
connectors:
  ticks:
    type: cron
    stateFile: ./cron-state.json
    schedules: [{ name: every-second, schedule: "* * * * * *" }]
routes:
  - { from: ticks, to: [tick], mode: sync, delivery: { maxAttempts: 1 } }
deadLetter: { type: file, path: ./dead-letter.jsonl }
admin: { port: 0 }
`,
      { FGCONNECT_LOG_LEVEL: "info" },
    );
    running.push(daemon);
    await until(() => ticks().length >= 1, 30_000);

    writeFileSync(file, "{ not json");
    const warned = await daemon.waitFor(
      (l) => l.msg.startsWith("could not refresh the temporary credentials"),
      30_000,
    );
    expect(warned).toMatchObject({ source: `file ${file}`, err: "it is not JSON" });
    expect(warned.msg).toContain(`make sure ${file} holds fresh credentials`);

    writeFileSync(file, credentials(AK2, Date.now() + 3_600_000));
    await daemon.waitFor((l) => l.msg === "temporary credentials refreshed", 30_000);
    // Past the first keys' expiry, ticks are still accepted: signed with the second keys.
    await until(() => Date.now() > firstExpiry + 1_000, 30_000);
    const after = ticks().length;
    await until(() => ticks().length >= after + 2, 30_000);

    expect(ticks().every((i) => i.status === 200)).toBe(true);
    const problems = daemon.lines.filter((l) => l.level >= 40);
    expect(problems.map((l) => l.msg)).toEqual([warned.msg]);
    const logged = JSON.stringify(daemon.lines) + daemon.stderr();
    for (const secret of [...Object.values(KEYS), "security-token-of"])
      expect(logged).not.toContain(secret);
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });
});
