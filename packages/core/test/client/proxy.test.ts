import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/client.js";
import { proxyConfigured } from "../../src/client/http-agent.js";
import { envelope, json, PROJECT, startServer, type TestServer, URN } from "./helpers/server.js";

let target: TestServer;
let proxy: Server;
let proxyUrl: string;
const tunnels: string[] = [];

beforeAll(async () => {
  target = await startServer((_req, res) => json(res, 200, envelope('"via"')));
  // A minimal CONNECT proxy: records the tunnel's target and pipes bytes.
  proxy = createServer((_req, res) => {
    res.statusCode = 405;
    res.end();
  });
  proxy.on("connect", (req, socket, head) => {
    tunnels.push(String(req.url));
    const [host, port] = String(req.url).split(":");
    const upstream = connect(Number(port), host!, () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise<void>((r) => proxy.close(() => r()));
  await target.close();
});

const VARS = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"];

/** Runs `fn` with the given proxy variables (and no others) in process.env. */
async function withEnv(vars: Record<string, string>, fn: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  for (const v of VARS) delete process.env[v];
  Object.assign(process.env, vars);
  try {
    await fn();
  } finally {
    for (const v of VARS) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
  }
}

describe("proxy from the environment", () => {
  it("goes through HTTP_PROXY when set", async () => {
    await withEnv({ HTTP_PROXY: proxyUrl }, async () => {
      expect(proxyConfigured()).toBe(true);
      tunnels.length = 0;
      const client = createClient({ endpoint: target.url, projectId: PROJECT });
      expect((await client.invoke(URN, {})).json).toBe("via");
      expect(tunnels).toEqual([`127.0.0.1:${target.port}`]);
      await client.close();
    });
  });

  it("skips the proxy for NO_PROXY hosts, and without proxy variables", async () => {
    await withEnv({ HTTP_PROXY: proxyUrl, NO_PROXY: "127.0.0.1" }, async () => {
      tunnels.length = 0;
      const client = createClient({ endpoint: target.url, projectId: PROJECT });
      await client.invoke(URN, {});
      expect(tunnels).toEqual([]);
      await client.close();
    });
    await withEnv({}, async () => {
      expect(proxyConfigured()).toBe(false);
      const client = createClient({ endpoint: target.url, projectId: PROJECT });
      await client.invoke(URN, {});
      expect(tunnels).toEqual([]);
      await client.close();
    });
  });
});
