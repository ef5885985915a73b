/**
 * A private `redis-server` for tests that restart it: its own process on 127.0.0.1 and a free
 * port, its data in a temp dir with the append-only file on (as a production Redis keeping
 * leases would be), so a restart keeps the keys. The machine's shared Redis is never touched.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServer {
  url: string;
  /** Stops the server (SIGTERM: it flushes its append-only file) and starts it on the same port. */
  restart(downMs?: number): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startRedisServer(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "fgc-redis-"));
  const port = await freePort();
  let proc: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      proc = child;
      let log = "";
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes("Ready to accept connections")) {
          child.stdout!.off("data", onData);
          child.off("exit", onExit);
          child.stdout!.resume();
          resolve();
        }
      };
      const onExit = (code: number | null) =>
        reject(new Error(`redis-server exited (${code}) at start:\n${log}`));
      child.stdout!.on("data", onData);
      child.stderr!.resume();
      child.once("exit", onExit);
      child.once("error", reject);
    });

  const stop = async () => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  };

  await start();
  process.once("exit", () => proc?.kill("SIGKILL"));
  return {
    url: `redis://127.0.0.1:${port}`,
    async restart(downMs = 0) {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
