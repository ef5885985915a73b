import type { AdminRoutes } from "./server.js";

/** `/api/status`: the status page's data as JSON (see StatusSnapshot). */
export const statusRoutes: AdminRoutes = (app, deps) => {
  const board = deps.status;
  if (!board) return;
  app.get("/api/status", async () => board.snapshot());
};
