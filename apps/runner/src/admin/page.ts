import { readFileSync } from "node:fs";
import { resolve } from "node:path";
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

/** `GET /`: the status page, its read-only parts rendered here; `/status/*`: its CSS and JS. */
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
  app.get("/", async (_req, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .header("content-security-policy", CSP)
      .header("cache-control", "no-store")
      .send(renderPage(template, board.snapshot())),
  );
  app.get<{ Params: { name: string } }>("/status/:name", async (req, reply) => {
    const asset = assets.get(req.params.name);
    if (!asset) return reply.code(404).send({ error: "no such file" });
    return reply.type(asset.type).header("cache-control", "no-cache").send(asset.body);
  });
};
