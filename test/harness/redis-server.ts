/**
 * A private `redis-server` for tests that restart it: its own process on 127.0.0.1 and a free
 * port, its data in a temp dir with the append-only file on (as a production Redis keeping
 * leases would be), so a restart keeps the keys. The machine's shared Redis is never touched.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChildServer, freePort } from "./child-server.js";

export interface RedisServer {
  url: string;
  /** Stops the server (SIGTERM: it flushes its append-only file) and starts it on the same port. */
  restart(downMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "fgc-redis-"));
  const port = await freePort();
  const server = new ChildServer({
    command: "redis-server",
    args: ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes"],
    readyOn: "stdout",
    ready: /Ready to accept connections/,
  });
  await server.start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async restart(downMs = 0) {
      await server.stop();
      await new Promise((r) => setTimeout(r, downMs));
      await server.start();
    },
    async close() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
