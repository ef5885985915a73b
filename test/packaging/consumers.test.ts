import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The packed tarballs, installed with npm into a project outside the workspace, loaded from a
// CommonJS and an ES module consumer on each Node.js line users run.
const root = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "fgconnect-consumers-"));
const consumer = join(work, "app");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What each package must expose, checked the same way from both module systems. */
const CHECKS: Record<string, string> = {
  "@fgconnect/core":
    "typeof m.createClient === 'function' && typeof m.defineConnector === 'function'",
  "@fgconnect/cron": "m.cronConnector.type === 'cron'",
  "@fgconnect/kafka": "m.kafkaConnector.type === 'kafka'",
  "@fgconnect/mqtt": "m.mqttConnector.type === 'mqtt'",
  "@fgconnect/s3": "m.s3Connector.type === 's3'",
  "@fgconnect/emulator":
    "typeof m.startEmulator === 'function' && m.sampleEvent('kafka').event.trigger_type === 'KAFKA'",
  "@fgconnect/http": "m.httpConnector.type === 'http'",
  "@fgconnect/rabbitmq": "m.rabbitmqConnector.type === 'rabbitmq'",
  "@fgconnect/runner": "typeof m.startDaemon === 'function'",
};

function pnpm(args: string[], cwd: string): string {
  const execpath = process.env.npm_execpath;
  const [cmd, pre] =
    execpath && /pnpm/.test(execpath) ? [process.execPath, [execpath]] : ["pnpm", []];
  return execFileSync(cmd, [...pre, ...args], { cwd, encoding: "utf8" });
}

function publishable(): string[] {
  return ["packages", "apps"].flatMap((d) =>
    readdirSync(join(root, d), { withFileTypes: true })
      .map((e) => join(root, d, e.name))
      .filter((dir) => existsSync(join(dir, "package.json")))
      .filter((dir) => !JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).private),
  );
}

/** Node.js of a major version: this one, or the build `.ci/run` installs under .tools/. */
function nodeOf(major: number): string {
  if (process.versions.node.startsWith(`${major}.`)) return process.execPath;
  const dir = join(root, ".tools", `node${major}`);
  const bin = join(dir, "node_modules", ".bin", "node");
  if (!existsSync(bin))
    execFileSync(
      "npm",
      ["install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", `node@${major}`],
      {
        stdio: "ignore",
      },
    );
  return bin;
}

beforeAll(() => {
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  mkdirSync(consumer);
  // Every publishable package: the runner depends on each connector, so all must be packed.
  for (const dir of publishable()) pnpm(["pack", "--pack-destination", tarballs], dir);
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", private: true }),
  );
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...files], {
    cwd: consumer,
    stdio: "ignore",
  });
  const names = Object.keys(CHECKS);
  writeFileSync(
    join(consumer, "consumer.cjs"),
    names
      .map(
        (n) =>
          `{ const m = require(${JSON.stringify(n)}); if (!(${CHECKS[n]})) throw new Error("require ${n}"); }`,
      )
      .join("\n") + '\nconsole.log("cjs ok");\n',
  );
  writeFileSync(
    join(consumer, "consumer.mjs"),
    names
      .map(
        (n) =>
          `{ const m = await import(${JSON.stringify(n)}); if (!(${CHECKS[n]})) throw new Error("import ${n}"); }`,
      )
      .join("\n") + '\nconsole.log("esm ok");\n',
  );
});

describe("the packed packages outside the workspace", () => {
  for (const major of [20, 22, 24]) {
    it(`load with require() and import on Node.js ${major}`, () => {
      const node = nodeOf(major);
      const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
      expect(version).toMatch(new RegExp(`^v${major}\\.`));
      const run = (file: string) =>
        execFileSync(node, [file], {
          cwd: consumer,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
      expect(run("consumer.cjs")).toBe("cjs ok\n");
      expect(run("consumer.mjs")).toBe("esm ok\n");
    });
  }

  it("ship a LICENSE and say where they come from", () => {
    for (const name of Object.keys(CHECKS)) {
      const dir = join(consumer, "node_modules", ...name.split("/"));
      expect(readFileSync(join(dir, "LICENSE"), "utf8"), name).toContain("Apache License");
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      expect(pkg.license).toBe("Apache-2.0");
      expect(pkg.repository?.url, name).toMatch(/^git\+https:\/\//);
      expect(pkg.bugs?.url, name).toMatch(/^https:\/\//);
      expect(pkg.homepage, name).toMatch(/^https:\/\//);
      expect(pkg.keywords, name).toContain("functiongraph");
    }
  });

  it("ship the config's JSON Schema at its $id's path", () => {
    const file = join(consumer, "node_modules/@fgconnect/runner/schema/fgconnect.schema.json");
    const schema = JSON.parse(readFileSync(file, "utf8"));
    const { version } = JSON.parse(
      readFileSync(join(consumer, "node_modules/@fgconnect/runner/package.json"), "utf8"),
    );
    expect(schema.$id).toBe(
      `https://unpkg.com/@fgconnect/runner@${version}/schema/fgconnect.schema.json`,
    );
  });
});
