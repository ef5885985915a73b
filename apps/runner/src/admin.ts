import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Connector } from "@fgconnect/core";
import type { Registry } from "prom-client";

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `/healthz` (the process answers), `/readyz` (every connector connected and the dead-letter
 * sink writable), `/metrics`.
 */
export async function startAdmin(options: {
  host: string;
  port: number;
  registry: Registry;
  connectors: () => readonly Connector[];
  ready: () => boolean;
  /** The dead-letter sink: not ready while it cannot be written. */
  deadLetter?: () => { ok: boolean; reason?: string };
  /** More fields for /readyz's body. */
  details?: () => Record<string, unknown>;
}): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, body: unknown, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (req.method !== "GET") return send(405, { error: "use GET" });
    if (path === "/healthz") return send(200, { status: "ok" });
    if (path === "/readyz") {
      const connectors = Object.fromEntries(options.connectors().map((c) => [c.name, c.health()]));
      const deadLetter = options.deadLetter?.();
      const ready =
        options.ready() &&
        deadLetter?.ok !== false &&
        Object.values(connectors).every((h) => h.connected);
      return send(ready ? 200 : 503, {
        status: ready ? "ready" : "not ready",
        connectors,
        ...(deadLetter ? { deadLetter } : {}),
        ...options.details?.(),
      });
    }
    if (path === "/metrics") {
      options.registry
        .metrics()
        .then((text) => send(200, text, options.registry.contentType))
        .catch((err: Error) => send(500, { error: err.message }));
      return;
    }
    send(404, { error: "not found; try /healthz, /readyz or /metrics" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
