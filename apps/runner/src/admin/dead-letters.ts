import { CommanderError } from "commander";
import type { DeadLetterQuery } from "../dlq/service.js";
import type { AdminRoutes } from "./server.js";

/** Query string or JSON body → a dead-letter query (repeatable fields as lists). */
function queryOf(input: Record<string, unknown> | undefined): DeadLetterQuery & {
  to?: string;
  all?: boolean;
  limit?: number;
} {
  const o = input ?? {};
  const list = (v: unknown) =>
    v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map((x) => String(x));
  const text = (v: unknown) => (v === undefined ? undefined : String(v));
  return {
    sink: text(o.sink),
    id: list(o.id),
    route: list(o.route),
    function: list(o.function),
    reason: list(o.reason),
    since: text(o.since),
    until: text(o.until),
    pattern:
      typeof o.pattern === "object" && o.pattern !== null
        ? JSON.stringify(o.pattern)
        : text(o.pattern),
    to: text(o.to),
    all: o.all === true || o.all === "true",
    limit: o.limit === undefined ? undefined : Number(o.limit),
  };
}

/**
 * `/api/dead-letters`: list (filters in the query string: sink, route, function, reason, since,
 * until, pattern, id, limit — the newest `limit`, default 100), `/api/dead-letters/:id` to
 * inspect one, and `POST /api/dead-letters/replay` (JSON body: the same filters, `to`, `all`)
 * to replay one or a filtered set — a change of state, so it needs `admin.token`.
 */
export const deadLettersRoutes: AdminRoutes = (app, deps) => {
  const service = deps.deadLetters;
  if (!service) return;
  let replaying = false;
  // A filter that cannot work (bad time, bad pattern, unknown sink) is the caller's error.
  app.setErrorHandler((error, _req, reply) => {
    if (error instanceof CommanderError) return reply.code(400).send({ error: error.message });
    return reply.code(500).send({ error: error instanceof Error ? error.message : String(error) });
  });
  app.get<{ Querystring: Record<string, unknown> }>("/api/dead-letters", async (req) => {
    const { limit = 100, ...query } = queryOf(req.query);
    const { store, entries } = await service.list(query);
    return { store, total: entries.length, entries: entries.slice(-Math.max(0, limit)).reverse() };
  });
  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    "/api/dead-letters/:id",
    async (req, reply) => {
      const { store, entries } = await service.list({ ...queryOf(req.query), id: [req.params.id] });
      if (entries.length === 0)
        return reply
          .code(404)
          .send({ error: `no dead letter with id "${req.params.id}" in ${store}` });
      return { store, entry: entries[0] };
    },
  );
  app.post<{ Body: Record<string, unknown> }>("/api/dead-letters/replay", async (req, reply) => {
    const query = queryOf(req.body);
    if (
      !query.id &&
      !query.route &&
      !query.function &&
      !query.reason &&
      !query.since &&
      !query.until &&
      !query.pattern &&
      req.body?.every !== true
    )
      return reply.code(400).send({
        error:
          "name what to replay: id, a filter (route, function, reason, since, until, pattern), or every: true",
      });
    if (replaying)
      return reply.code(409).send({ error: "a replay is running; try again when it is done" });
    replaying = true;
    try {
      return await service.replay(query);
    } finally {
      replaying = false;
    }
  });
};
