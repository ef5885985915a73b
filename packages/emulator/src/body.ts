import type { IncomingMessage } from "node:http";
import { tooLarge } from "./errors.js";

const EMPTY = Buffer.alloc(0);

/**
 * Reads a request body up to `limit` bytes. A declared Content-Length over the limit is refused
 * before reading; a body that grows past it while streaming is refused too (the rest is drained).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    return Promise.reject(tooLarge(declared, limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(tooLarge(`more than ${limit}`, limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (over) return;
      resolve(
        chunks.length === 0
          ? EMPTY
          : chunks.length === 1
            ? chunks[0]!
            : Buffer.concat(chunks, size),
      );
    });
    req.on("error", reject);
  });
}
