import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";

const READS = new Set(["GET", "HEAD"]);

/** Why a request was refused: [no token configured, token missing or wrong]. */
const REFUSALS = {
  change: [
    "changes are disabled: set admin.token in the config and send it as Authorization: Bearer <token>",
    "send the admin token: Authorization: Bearer <admin.token>",
  ],
  read: [
    "dead letters are not served beyond loopback without admin.token: set it in the config and send it as Authorization: Bearer <token>",
    "dead letters beyond loopback need the admin token: Authorization: Bearer <admin.token>",
  ],
} as const;

/**
 * Reads stay open (the admin server listens on loopback by default), but for `guardedRead`
 * paths (dead letters, which hold the events themselves, on an admin server reachable beyond
 * loopback); every request that may change state, and every guarded read, needs
 * `Authorization: Bearer <admin.token>`, and is refused with 401 when the token is missing,
 * wrong, or not configured at all. The token is never logged nor echoed.
 */
export function requireToken(
  app: FastifyInstance,
  token: string | undefined,
  guardedRead: (path: string) => boolean = () => false,
): void {
  // Hashes compare in constant time whatever the lengths.
  const expected = token ? digest(token) : undefined;
  app.addHook("onRequest", async (req, reply) => {
    const read = READS.has(req.method);
    if (read && !guardedRead(req.url.split("?")[0]!)) return;
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim();
    if (expected && given && timingSafeEqual(digest(given), expected)) return;
    reply.header("www-authenticate", 'Bearer realm="fgconnect admin"');
    return reply.code(401).send({ error: REFUSALS[read ? "read" : "change"][expected ? 1 : 0] });
  });
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
