import type { AdminRoutes } from "./server.js";

/** `/metrics`: Prometheus text from the daemon's registry. */
export const metricsRoutes: AdminRoutes = (app, deps) => {
  app.get("/metrics", async (_req, reply) => {
    const text = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(text);
  });
};
