import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, FunctionsFolderError, loadFunctions } from "../src/index.js";
import { post, start, syncPath } from "./helpers.js";

let dir: string;
let esmScope: string;
let emu: Emulator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fg-emu-"));
  // A CommonJS function in a subfolder with its config.
  await mkdir(join(dir, "greet"));
  await writeFile(
    join(dir, "greet", "index.js"),
    `const util = require("node:util");
exports.handler = async (event, context) => {
  console.log(util.format("hi %s", event.who));
  return { hi: event.who, color: context.getUserData("COLOR"), pkg: context.getPackage() };
};`,
  );
  await writeFile(
    join(dir, "greet", "fgconnect.json"),
    JSON.stringify({ package: "pets", environment: { COLOR: "red" }, memoryMb: 256 }),
  );
  // Single-file functions: ESM .mjs, CommonJS .cjs, plus a sibling config.
  await writeFile(
    join(dir, "modern.mjs"),
    "export const handler = async (e) => ({ esm: e.n + 1 });",
  );
  await writeFile(
    join(dir, "classic.cjs"),
    "module.exports.handler = (e, ctx) => ctx.getFunctionName();",
  );
  await writeFile(join(dir, "classic.json"), JSON.stringify({ timeoutSeconds: 5 }));
  await writeFile(join(dir, "custom.js"), "exports.main = async () => 'custom export';");
  await writeFile(join(dir, "custom.json"), JSON.stringify({ handler: "custom.main" }));
  await writeFile(join(dir, "README.md"), "ignored");

  // A folder inside an ESM package: `.js` ESM, and FunctionGraph-style CommonJS `.js` too.
  esmScope = await mkdtemp(join(tmpdir(), "fg-emu-esm-"));
  await writeFile(join(esmScope, "package.json"), '{"type":"module"}');
  await writeFile(
    join(esmScope, "esm.js"),
    "export async function handler() { return 'esm in module scope'; }",
  );
  await writeFile(join(esmScope, "cjs.js"), "exports.handler = async () => 'cjs in module scope';");

  emu = await start({ functionsDir: dir });
});
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
  await rm(esmScope, { recursive: true, force: true });
});

describe("functions loaded from a folder", () => {
  it("lists every function with its package", () => {
    expect(
      emu
        .functions()
        .map((f) => `${f.package}:${f.name}`)
        .sort(),
    ).toEqual(["default:classic", "default:custom", "default:modern", "pets:greet"]);
  });

  it("runs a CommonJS subfolder function with its config", async () => {
    const res = await post(
      emu,
      syncPath(emu.urnFor("pets:greet")),
      { who: "cat" },
      {
        "X-CFF-Request-Version": "v1",
        "X-Cff-Log-Type": "tail",
      },
    );
    const body = res.json();
    expect(JSON.parse(body.result)).toEqual({ hi: "cat", color: "red", pkg: "pets" });
    expect(body.log).toContain("\nhi cat\n");
    expect(JSON.parse(res.headers.get("x-cff-invoke-summary")!).memorySize).toBe(256);
  });

  it("runs ESM .mjs, CommonJS .cjs and a named export", async () => {
    expect((await post(emu, syncPath("modern"), { n: 1 })).json()).toEqual({ esm: 2 });
    expect((await post(emu, syncPath("classic"))).text).toBe("classic");
    expect((await post(emu, syncPath("custom"))).text).toBe("custom export");
  });

  it("loads .js as ESM or CommonJS inside an ESM package", async () => {
    const defs = await loadFunctions(esmScope);
    expect(await defs.esm!.handler({}, {} as never)).toBe("esm in module scope");
    expect(await defs.cjs!.handler({}, {} as never)).toBe("cjs in module scope");
  });

  it("loads the example function", async () => {
    const example = await start({
      functionsDir: join(import.meta.dirname, "..", "examples", "functions"),
    });
    try {
      const res = await post(example, syncPath("hello"), { trigger_type: "TIMER" });
      expect(res.json()).toMatchObject({ eventType: "TIMER", greeting: "hello from the emulator" });
    } finally {
      await example.close();
    }
  });

  it("refuses a bad config", async () => {
    const bad = await mkdtemp(join(tmpdir(), "fg-emu-bad-"));
    try {
      await writeFile(join(bad, "f.js"), "exports.handler = () => 1;");
      await writeFile(join(bad, "f.json"), JSON.stringify({ memoryMb: 100 }));
      await expect(start({ functionsDir: bad })).rejects.toThrow(/memoryMb/);
      await writeFile(join(bad, "f.json"), JSON.stringify({ maxAsyncRetryAttempts: 4 }));
      await expect(start({ functionsDir: bad })).rejects.toThrow(/maxAsyncRetryAttempts/);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it("names a missing functions folder and what to do, not a raw ENOENT", async () => {
    const missing = join(dir, "no-such-folder");
    const err = await start({ functionsDir: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FunctionsFolderError);
    expect((err as FunctionsFolderError).message).toBe(
      `functions folder ${missing}: no such folder`,
    );
    expect((err as FunctionsFolderError).hint).toContain("register functions in code");
    await expect(start({ functionsDir: join(dir, "greet", "index.js") })).rejects.toThrow(
      /: not a folder$/,
    );
  });
});
