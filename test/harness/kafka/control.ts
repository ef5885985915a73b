/**
 * Lets a test stop and restart the broker that the global setup owns (tests run in worker
 * processes): a tiny HTTP endpoint on 127.0.0.1, port picked by the OS.
 */
import { createServer, type Server } from "node:http";
import type { KafkaBroker } from "./broker.js";

export async function serveControl(
  broker: KafkaBroker,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const action =
      req.url === "/stop" ? broker.stop() : req.url === "/start" ? broker.start() : undefined;
    if (!action || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    action.then(
      () => res.writeHead(204).end(),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** From a test: stop or start the shared broker; resolves when done. */
export async function controlBroker(url: string, action: "stop" | "start"): Promise<void> {
  const res = await fetch(`${url}/${action}`, { method: "POST" });
  if (res.status !== 204)
    throw new Error(`broker ${action} failed: ${res.status} ${await res.text()}`);
}
