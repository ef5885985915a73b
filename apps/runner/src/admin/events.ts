import type { StatusSnapshot } from "../status/snapshot.js";
import { renderFragments } from "./render.js";
import type { AdminRoutes } from "./server.js";

/**
 * `/api/events`: server-sent events, once a second. `status` carries the same JSON as
 * `/api/status`; `fragments` the page's live parts as HTML, by `data-fragment` name.
 */
export const eventsRoutes: AdminRoutes = (app, deps) => {
  const board = deps.status;
  if (!board) return;
  // A stream has no headers-only form.
  app.get("/api/events", { exposeHeadRoute: false }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      // No proxy buffering: events must arrive as they are sent.
      "x-accel-buffering": "no",
    });
    const send = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const push = (status: StatusSnapshot) => {
      // A reader that does not keep up skips updates instead of piling them up here.
      if (res.writableNeedDrain) return;
      send("status", status);
      send("fragments", renderFragments(status));
    };
    // The browser reconnects by itself after this long when the daemon restarts.
    res.write("retry: 2000\n\n");
    push(board.snapshot());
    const unsubscribe = board.subscribe(push);
    req.raw.once("close", unsubscribe);
  });
};
