import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { requireToken } from "./auth.js";
import { deadLettersRoutes } from "./dead-letters.js";
import type { AdminDeps } from "./deps.js";
import { eventsRoutes } from "./events.js";
import { healthRoutes } from "./health.js";
import { metricsRoutes } from "./metrics.js";
import { pageRoutes } from "./page.js";
import { statusRoutes } from "./status.js";

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A module of admin routes. Add one by writing `export const fooRoutes: AdminRoutes = (app, deps)
 * => { app.get("/api/foo", …) }` in its own file and listing it in ROUTES (or passing it in
 * `extraRoutes`). Requests other than GET/HEAD need `admin.token` (see auth.ts): a module's
 * POST routes are protected without asking; so are dead-letter reads with `guardDeadLetters`.
 */
export type AdminRoutes = (app: FastifyInstance, deps: AdminDeps) => void;

const ROUTES: readonly AdminRoutes[] = [
  healthRoutes,
  metricsRoutes,
  statusRoutes,
  eventsRoutes,
  pageRoutes,
  deadLettersRoutes,
];

/** The API's and the page's dead-letter paths: the events themselves. */
const isDeadLetters = (path: string) =>
  path === "/api/dead-letters" ||
  path.startsWith("/api/dead-letters/") ||
  path.startsWith("/dead-letters/");

/** Whether an address is reachable from this host only. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Builds the admin app without listening (tests use `app.inject`). */
export function buildAdmin(deps: AdminDeps, extraRoutes: readonly AdminRoutes[] = []) {
  // No fastify logger: requests carry the bearer token, and the daemon logs its own lines.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  requireToken(app, deps.token, (path) => deps.guardDeadLetters === true && isDeadLetters(path));
  for (const routes of [...ROUTES, ...extraRoutes]) routes(app, deps);
  app.setNotFoundHandler((req, reply) => {
    if (req.method !== "GET" && req.method !== "HEAD")
      return reply.code(405).send({ error: "use GET" });
    return reply.code(404).send({ error: "not found; try /, /healthz, /readyz or /metrics" });
  });
  return app;
}

/** Serves the admin routes on `host:port` (0 picks a free port). */
export async function startAdmin(
  deps: AdminDeps & { host: string; port: number },
  extraRoutes: readonly AdminRoutes[] = [],
): Promise<AdminServer> {
  // Beyond loopback, dead letters (the events themselves) are not for whoever can connect.
  const app = buildAdmin({ guardDeadLetters: !isLoopback(deps.host), ...deps }, extraRoutes);
  await app.listen({ host: deps.host, port: deps.port });
  const { port } = app.server.address() as AddressInfo;
  const host = deps.host.includes(":") ? `[${deps.host}]` : deps.host;
  return { url: `http://${host}:${port}`, close: () => app.close() };
}
