import { createHmac, timingSafeEqual } from "node:crypto";
import type { ResolvedHttpOptions } from "./options.js";

/** Says whether a request may call: its headers and raw body. Never reveals a key or secret. */
export type Authorizer = (
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
) => boolean;

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time for equal lengths; a length mismatch is refused at once (lengths are public). */
function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function authorizer(auth: ResolvedHttpOptions["auth"]): Authorizer {
  switch (auth.type) {
    case "none":
      return () => true;
    case "api-key": {
      const keys = auth.keys.map((k) => Buffer.from(k, "utf8"));
      return (headers) => {
        const given = headerValue(headers, auth.header);
        if (given === undefined) return false;
        const g = Buffer.from(given, "utf8");
        // Every key is compared, so the time taken does not tell which one matched.
        let ok = false;
        for (const k of keys) ok = same(g, k) || ok;
        return ok;
      };
    }
    case "hmac":
      return (headers, body) => {
        const given = headerValue(headers, auth.header)
          ?.trim()
          .replace(/^sha256=/i, "");
        if (!given || !/^[0-9a-fA-F]{64}$/.test(given)) return false;
        const expected = createHmac("sha256", auth.secret).update(body).digest();
        return same(Buffer.from(given, "hex"), expected);
      };
  }
}
