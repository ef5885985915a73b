import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { DeadLetterService } from "../dlq/service.js";
import type { StatusSnapshot } from "../status/snapshot.js";
import {
  deadLetterPage,
  deadLetterRows,
  filterFields,
  missingDeadLetterPage,
  type PageFilter,
  pageFilterOf,
} from "./dead-letter-html.js";
import { renderPage } from "./render.js";
import type { AdminRoutes } from "./server.js";

/** The page's files, shipped in the package beside dist/ (no build step). */
const DIR = resolve(import.meta.dirname, "../../status");
const ASSETS: Record<string, string> = {
  "status.css": "text/css; charset=utf-8",
  "status.js": "text/javascript; charset=utf-8",
  "dead-letters.js": "text/javascript; charset=utf-8",
};
/** Only the daemon's own files: the page works offline and nothing else can run in it. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** What each page load reads of the dead-letter file at most: fast however large it grows. */
const NEWEST = { limit: 100, bytes: 2 * 1024 * 1024 };

/**
 * `GET /`: the status page, its read-only parts rendered here (the dead letters filtered by
 * `?route=&function=&reason=`); `GET /dead-letters/:id`: one dead letter's page; `/status/*`:
 * the page's CSS and JS.
 */
export const pageRoutes: AdminRoutes = (app, deps) => {
  const board = deps.status;
  if (!board) return;
  const template = readFileSync(resolve(DIR, "index.html"), "utf8");
  const assets = new Map(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      { type, body: readFileSync(resolve(DIR, name)) },
    ]),
  );
  app.get<{ Querystring: Record<string, unknown> }>("/", async (req, reply) => {
    // The count before the list: a dead letter counted is already in the file.
    const status = board.snapshot();
    const filter = pageFilterOf(req.query);
    const deadLetters = {
      deadLetterFilter: filterFields(filter),
      deadLetterRows: deps.guardDeadLetters
        ? deadLetterRows(
            {
              error:
                "beyond loopback, dead letters need the admin token: type it in the replay form (with JavaScript) or use /api/dead-letters with Authorization: Bearer <admin.token>",
            },
            count(status),
          )
        : await newestRows(deps.deadLetters, filter, status),
    };
    return reply
      .type("text/html; charset=utf-8")
      .header("content-security-policy", CSP)
      .header("cache-control", "no-store")
      .send(renderPage(template, status, deadLetters));
  });
  const service = deps.deadLetters;
  if (service)
    app.get<{ Params: { id: string } }>("/dead-letters/:id", async (req, reply) => {
      const id = [req.params.id];
      // Linked from the page's list, so it is in the newest part of the file but for a rare case.
      const newest = await service.newest({ id }, NEWEST);
      const { store, entries } = newest.entries[0] ? newest : await service.list({ id });
      const entry = entries[0];
      return reply
        .code(entry ? 200 : 404)
        .type("text/html; charset=utf-8")
        .header("content-security-policy", CSP)
        .header("cache-control", "no-store")
        .send(entry ? deadLetterPage(entry, store) : missingDeadLetterPage(req.params.id, store));
    });
  app.get<{ Params: { name: string } }>("/status/:name", async (req, reply) => {
    const asset = assets.get(req.params.name);
    if (!asset) return reply.code(404).send({ error: "no such file" });
    return reply.type(asset.type).header("cache-control", "no-cache").send(asset.body);
  });
};

async function newestRows(
  service: DeadLetterService | undefined,
  filter: PageFilter,
  status: StatusSnapshot,
): Promise<string> {
  if (!service)
    return deadLetterRows({ error: "this daemon serves no dead-letter list" }, count(status));
  try {
    const newest = await service.newest(filter, NEWEST);
    return deadLetterRows({ ...newest, bytes: NEWEST.bytes }, count(status));
  } catch (error) {
    // The rest of the page still reads.
    return deadLetterRows(
      { error: error instanceof Error ? error.message : String(error) },
      count(status),
    );
  }
}

const count = (status: StatusSnapshot) => status.routes.reduce((n, r) => n + r.deadLettered, 0);
