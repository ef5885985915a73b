import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { until } from "../harness/until.js";
import { redisEngine, type TestEngine } from "./engines.js";
import { Replicas } from "./replicas.js";

/** The example plugin: a poller made single-active by the lease its services carry. */
const EXAMPLE = resolve(import.meta.dirname, "../../examples/fgconnect-plugin-example");

let emu: Emulator;
let server: Server;
let url: string;
/** The replica (its config folder) behind each GET, in order. */
const gets: string[] = [];
let engine: TestEngine;
let replicas: Replicas;

beforeAll(async () => {
  engine = redisEngine();
  emu = await startEmulator({
    log: false,
    auth: false,
    functions: { watch: async () => ({ ok: true }) },
  });
  server = createServer((req, res) => {
    gets.push(String(req.headers["x-replica"]));
    res.writeHead(200, { "content-type": "application/json" }).end('{"n":1}');
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterEach(() => replicas.stopAll());
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  await emu.close();
  await engine.cleanup();
});

const config = (dir: string) =>
  JSON.stringify({
    functiongraph: { endpoint: emu.url, region: emu.region, projectId: emu.projectId },
    plugins: [EXAMPLE],
    connectors: {
      status: { type: "http-poll", url, intervalMs: 100, headers: { "x-replica": dir } },
    },
    routes: [{ from: "status", to: [emu.urnFor("watch")], mode: "sync" }],
    coordination: engine.section(2000),
    deadLetter: { type: "file", path: `${dir}/dead-letter.jsonl`, fsync: false },
    admin: { port: 0 },
    shutdown: { deadlineMs: 5000 },
  });

describe("a plugin connector under coordination", () => {
  it("polls from the replica holding its lease only, and from another once that one dies", async () => {
    replicas = new Replicas();
    await replicas.start(2, config);
    const leader = await replicas.leader("status");
    const leaderDir = replicas.dirs[replicas.all.indexOf(leader)]!;
    const from = gets.length;
    await until(() => gets.length >= from + 10, 20_000, "ten polls");
    expect(new Set(gets.slice(from))).toEqual(new Set([leaderDir]));

    leader.child.kill("SIGKILL");
    await leader.exited;
    const next = await replicas.leader("status", 30_000);
    const nextDir = replicas.dirs[replicas.all.indexOf(next)]!;
    expect(nextDir).not.toBe(leaderDir);
    await until(
      () => gets.slice(-5).every((d) => d === nextDir),
      20_000,
      "polls by the new leader",
    );
  });
});
