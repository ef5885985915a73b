import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Emulator } from "../src/index.js";
import { logField } from "../src/records.js";
import { asyncPath, post, start, syncPath } from "./helpers.js";

const lines: string[] = [];
let emu: Emulator;
beforeAll(async () => {
  emu = await start({ log: (line) => lines.push(line), functions: { echo: (e: unknown) => e } });
});
afterAll(() => emu.close());

const FORGED = "2026-01-01T00:00:00.000Z sync urn:fss:forged 200 id 1.000ms";

describe("the one-line-per-call log", () => {
  it("escapes a CR/LF sent in the URN, so it cannot forge a line", async () => {
    lines.length = 0;
    const urn = `echo\r\n${FORGED}`;
    for (const path of [syncPath(encodeURIComponent(urn)), asyncPath(encodeURIComponent(urn))]) {
      const res = await post(emu, path);
      expect(res.status).toBe(400);
    }
    await vi.waitFor(() => expect(lines).toHaveLength(2));
    for (const line of lines) {
      expect(line).not.toMatch(/[\r\n]/);
      expect(line).toContain(JSON.stringify(urn));
      expect(line).toMatch(/ 400 FSS\.1309 /);
    }
  });

  it("writes a well-formed URN as is", async () => {
    lines.length = 0;
    await post(emu, syncPath(emu.urnFor("echo")));
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(lines[0]).toContain(` sync ${emu.urnFor("echo")} 200 `);
  });
});

describe("logField", () => {
  it("quotes and escapes anything but printable ASCII without spaces", () => {
    expect(logField("urn:fss:cn-north-4:p:function:default:echo:latest")).toBe(
      "urn:fss:cn-north-4:p:function:default:echo:latest",
    );
    expect(logField("a\r\nb")).toBe('"a\\r\\nb"');
    expect(logField("a b")).toBe('"a b"');
    expect(logField("\u2028x\u0085\u007f\u001b")).toBe('"\\u2028x\\u0085\\u007f\\u001b"');
    expect(logField("é")).toBe('"\\u00e9"');
    expect(logField("")).toBe("");
  });
});
