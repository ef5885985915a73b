import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signature } from "@fgconnect/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionContext } from "../src/context.js";
import { type Emulator, loadFunctions } from "../src/index.js";
import { PROJECT, post, type Reply, start, syncPath } from "./helpers.js";

// Keys that live on Object.prototype: a request naming one must find nothing, not Object's.
const PROTO_KEYS = ["constructor", "toString", "hasOwnProperty", "valueOf"];
const AK = "TESTAK0123456789ABCD";
const SK = "TESTSKabcdefghijklmnopqrstuvwxyz0123456789";

let emu: Emulator;
beforeAll(async () => {
  emu = await start({
    auth: { keys: { [AK]: SK } },
    functions: {
      pinned: {
        handler: () => "pinned",
        config: { versions: ["v1"], aliases: { prod: "v1" } },
      },
      env: {
        handler: (event: { key: string }, context: FunctionContext) => ({
          type: typeof context.getUserData(event.key),
        }),
        config: { environment: { COLOR: "blue" } },
      },
    },
  });
});
afterAll(() => emu.close());

/** Signs like the AK/SK provider, over the headers sent plus `extraSigned` (not sent). */
function signed(path: string, body: string, extraSigned: string[]): Record<string, string> {
  const url = new URL(`${emu.url}${path}`);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-Sdk-Date": signature.formatSdkDate(new Date()),
    Host: url.host,
  };
  const names = [...signature.headersToSign(headers), ...extraSigned].sort();
  const sig = signature.computeSignature(
    { method: "POST", path: url.pathname, headers, body },
    names,
    SK,
  );
  const { Host: _host, ...send } = headers;
  return { ...send, Authorization: signature.authorizationHeader(AK, names, sig) };
}

/** A request the emulator's auth lets through, for tests about what comes after it. */
function authed(path: string, body: string): Promise<Reply> {
  return post(emu, path, body, signed(path, body, []));
}

describe("lookups by a key from the request use own keys only", () => {
  it("answers an alias named like an Object property 404 FSS.1053", async () => {
    for (const key of PROTO_KEYS) {
      const res = await authed(syncPath(emu.urnFor("pinned", `!${key}`)), "{}");
      expect(res.status, key).toBe(404);
      expect(res.json().error_code, key).toBe("FSS.1053");
    }
    // The configured alias still resolves.
    expect((await authed(syncPath(emu.urnFor("pinned", "!prod")), "{}")).status).toBe(200);
  });

  it("gives a function no environment variable named like an Object property", async () => {
    for (const key of PROTO_KEYS) {
      const body = JSON.stringify({ key });
      const res = await authed(syncPath(emu.urnFor("env")), body);
      expect(res.status).toBe(200);
      expect(res.text, key).toBe('{"type":"undefined"}');
    }
    const res = await authed(syncPath(emu.urnFor("env")), '{"key":"COLOR"}');
    expect(res.text).toBe('{"type":"string"}');
  });

  it("verifies a signature over a header named like an Object property as a header not sent", async () => {
    const path = syncPath(emu.urnFor("env"));
    const body = '{"key":"COLOR"}';
    const res = await post(emu, path, body, signed(path, body, ["constructor", "tostring"]));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ type: "string" });
  });
});

describe("the functions folder", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fg-emu-own-"));
    await writeFile(join(dir, "constructor.js"), "exports.handler = async () => 'built';");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("loads a function named like an Object property", async () => {
    const functions = await loadFunctions(dir);
    expect(Object.keys(functions)).toEqual(["constructor"]);
    expect(typeof Object.getOwnPropertyDescriptor(functions, "constructor")?.value.handler).toBe(
      "function",
    );
    const withFolder = await start({ functionsDir: dir });
    try {
      const res = await post(withFolder, syncPath("constructor", PROJECT));
      expect(res.status).toBe(200);
      expect(res.text).toBe("built");
    } finally {
      await withFolder.close();
    }
  });
});
