import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  AuthError,
  type AuthRequest,
  parseCredentials,
  readCredentials,
  type TemporaryCredentials,
  temporaryAuth,
} from "../../src/index.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const MIN = 60_000;

const request: AuthRequest = {
  method: "POST",
  origin: "https://functiongraph.cn-north-4.myhuaweicloud.com",
  host: "functiongraph.cn-north-4.myhuaweicloud.com",
  path: "/v2/p/fgs/functions/f/invocations",
  query: undefined,
  headers: { "content-type": "application/json" },
  body: "{}",
  projectId: "0123456789abcdef0123456789abcdef",
};

const creds = (n: number, expiresAt: number): TemporaryCredentials => ({
  accessKey: `AK${n}`,
  secretKey: `secret-${n}`,
  securityToken: `token-${n}`,
  expiresAt,
});

/** A provider on a fake clock whose source answers from `answers` in turn (an Error: fails). */
function setup(answers: (TemporaryCredentials | Error)[]) {
  const clock = { now: T0 };
  const warnings: { obj: object; msg?: string }[] = [];
  let reads = 0;
  const logger = {
    debug() {},
    info() {},
    error() {},
    warn: (obj: object, msg?: string) => warnings.push({ obj, msg }),
  };
  const auth = temporaryAuth({
    source: { file: "/run/creds.json" },
    refreshBeforeMs: 5 * MIN,
    retryEveryMs: 10_000,
    now: () => clock.now,
    logger,
    read: async () => {
      const a = answers[Math.min(reads++, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return a;
    },
  });
  return { auth, clock, warnings, reads: () => reads };
}

const accessOf = async (auth: ReturnType<typeof temporaryAuth>) =>
  /Access=([^,]+),/.exec((await auth.headers(request)).authorization!)![1];

describe("temporary AK/SK credentials", () => {
  it("signs with the security token and refreshes before expiry, in the background", async () => {
    const { auth, clock, reads } = setup([creds(1, T0 + 60 * MIN), creds(2, T0 + 120 * MIN)]);
    const h = await auth.headers(request);
    expect(h["x-security-token"]).toBe("token-1");
    expect(h.authorization).toContain("Access=AK1,");
    clock.now = T0 + 54 * MIN;
    expect(await accessOf(auth)).toBe("AK1");
    expect(reads()).toBe(1);
    // Within 5 minutes of expiry: still signed with AK1 while AK2 is read.
    clock.now = T0 + 56 * MIN;
    expect(await accessOf(auth)).toBe("AK1");
    await new Promise((r) => setImmediate(r));
    expect(await accessOf(auth)).toBe("AK2");
    expect(auth.expiresAt).toBe(T0 + 120 * MIN);
    expect(reads()).toBe(2);
  });

  it("keeps the current credentials when a refresh fails, warns once, and fails past expiry", async () => {
    const broken = new Error("it is not JSON");
    const { auth, clock, warnings, reads } = setup([creds(1, T0 + 60 * MIN), broken]);
    await auth.headers(request);
    for (const minute of [56, 57, 58, 59]) {
      clock.now = T0 + minute * MIN;
      expect(await accessOf(auth)).toBe("AK1");
      await new Promise((r) => setImmediate(r));
    }
    expect(reads()).toBe(5);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain("using the current ones until they expire");
    expect(warnings[0]!.msg).toContain("make sure /run/creds.json holds fresh credentials");
    expect(JSON.stringify(warnings)).not.toMatch(/secret-1|token-1/);
    clock.now = T0 + 60 * MIN;
    const failure = auth.headers(request);
    await expect(failure).rejects.toBeInstanceOf(AuthError);
    await expect(failure).rejects.toThrow(
      "temporary credentials expired and a new set from file /run/creds.json could not be read: it is not JSON",
    );
    // Not read again on every request: once per retryEveryMs.
    await expect(auth.headers(request)).rejects.toBeInstanceOf(AuthError);
    expect(reads()).toBe(6);
    clock.now += 10_000;
    await expect(auth.headers(request)).rejects.toBeInstanceOf(AuthError);
    expect(reads()).toBe(7);
  });

  it("recovers when the source is fixed, and warns again only on a new streak", async () => {
    const { auth, clock, warnings } = setup([
      creds(1, T0 + 60 * MIN),
      new Error("no such file"),
      creds(2, T0 + 120 * MIN),
      new Error("no such file"),
    ]);
    await auth.headers(request);
    clock.now = T0 + 56 * MIN;
    await auth.headers(request);
    await new Promise((r) => setImmediate(r));
    clock.now += 10_000;
    await auth.headers(request);
    await new Promise((r) => setImmediate(r));
    expect(await accessOf(auth)).toBe("AK2");
    clock.now = T0 + 116 * MIN;
    await auth.headers(request);
    await new Promise((r) => setImmediate(r));
    expect(warnings).toHaveLength(2);
  });

  it("refuses credentials that have expired already, and a first read that fails", async () => {
    const { auth } = setup([creds(1, T0 - 1)]);
    await expect(auth.headers(request)).rejects.toThrow(/could not be read: they have expired/);
    const failing = setup([new Error("exited with code 1")]).auth;
    await expect(failing.headers(request)).rejects.toThrow(AuthError);
  });

  it("on a 401 reads the source again and retries only when the keys changed", async () => {
    const { auth } = setup([creds(1, T0 + 60 * MIN), creds(2, T0 + 120 * MIN)]);
    const sent = await auth.headers(request);
    expect(await auth.onUnauthorized(sent)).toBe(true);
    expect(await accessOf(auth)).toBe("AK2");
    const same = setup([creds(1, T0 + 60 * MIN)]).auth;
    expect(await same.onUnauthorized(await same.headers(request))).toBe(false);
  });

  it("never shows a credential when printed", async () => {
    const { auth } = setup([creds(1, T0 + 60 * MIN)]);
    await auth.headers(request);
    const shown = `${inspect(auth)} ${JSON.stringify(auth)}`;
    expect(shown).toContain("aksk-temporary");
    expect(shown).not.toMatch(/secret-1|token-1/);
  });
});

describe("reading temporary credentials", () => {
  const good = {
    access: "AKX",
    secret: "SKX",
    securitytoken: "tok",
    expires_at: "2026-01-01T01:00:00.000000Z",
  };

  it("reads STS's answer, or its inner object", () => {
    expect(parseCredentials(JSON.stringify({ credential: good }))).toEqual({
      accessKey: "AKX",
      secretKey: "SKX",
      securityToken: "tok",
      expiresAt: Date.parse("2026-01-01T01:00:00Z"),
    });
    expect(parseCredentials(JSON.stringify(good)).accessKey).toBe("AKX");
  });

  it("names what is wrong without quoting the text", () => {
    expect(() => parseCredentials('{"secret": "SKX-not-closed')).toThrow(/^it is not JSON$/);
    expect(() => parseCredentials(JSON.stringify({ ...good, secret: "" }))).toThrow(
      '"secret" is missing',
    );
    expect(() => parseCredentials(JSON.stringify({ ...good, expires_at: "soon" }))).toThrow(
      '"expires_at" is missing or not a date',
    );
  });

  it("runs a command (no shell) and reads its output; a failing one says how it failed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fg-creds-"));
    const file = join(dir, "creds.json");
    writeFileSync(file, JSON.stringify({ credential: good }));
    expect((await readCredentials({ file })).secretKey).toBe("SKX");
    const cat = {
      command: [
        process.execPath,
        "-e",
        `process.stdout.write(require("fs").readFileSync(${JSON.stringify(file)}))`,
      ],
    };
    expect((await readCredentials(cat)).securityToken).toBe("tok");
    await expect(
      readCredentials({
        command: [process.execPath, "-e", "console.error('SKX'); process.exit(3)"],
      }),
    ).rejects.toThrow(/^exited with code 3$/);
    await expect(readCredentials({ file: join(dir, "none.json") })).rejects.toThrow("no such file");
  });
});
