import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";

const READS = new Set(["GET", "HEAD"]);

/**
 * Reads stay open (the admin server listens on loopback by default); every request that may
 * change state needs `Authorization: Bearer <admin.token>`, and is refused with 401 when the
 * token is missing, wrong, or not configured at all. The token is never logged nor echoed.
 */
export function requireTokenForChanges(app: FastifyInstance, token: string | undefined): void {
  // Hashes compare in constant time whatever the lengths.
  const expected = token ? digest(token) : undefined;
  app.addHook("onRequest", async (req, reply) => {
    if (READS.has(req.method)) return;
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim();
    if (expected && given && timingSafeEqual(digest(given), expected)) return;
    reply.header("www-authenticate", 'Bearer realm="fgconnect admin"');
    return reply.code(401).send({
      error: expected
        ? "send the admin token: Authorization: Bearer <admin.token>"
        : "changes are disabled: set admin.token in the config and send it as Authorization: Bearer <token>",
    });
  });
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
