import type { AdminRoutes } from "./server.js";

/**
 * `/healthz` (the process answers) and `/readyz` (every connector connected and the
 * dead-letter sink writable; 503 and why otherwise).
 */
export const healthRoutes: AdminRoutes = (app, deps) => {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const connectors = Object.fromEntries(deps.connectors().map((c) => [c.name, c.health()]));
    const deadLetter = deps.deadLetter?.();
    const ready =
      deps.ready() &&
      deadLetter?.ok !== false &&
      Object.values(connectors).every((h) => h.connected);
    return reply.code(ready ? 200 : 503).send({
      status: ready ? "ready" : "not ready",
      connectors,
      ...(deadLetter ? { deadLetter } : {}),
      ...deps.details?.(),
    });
  });
};
