import { InvalidArgumentError, PayloadTooLargeError } from "./errors.js";

/** Request body limits (FUNCTIONGRAPH.md, Limits). */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
export const ASYNC_PAYLOAD_LIMIT = 256 * 1024;

/**
 * The payload as the body to send, checked against the limit before anything is sent.
 *
 * - a Buffer/Uint8Array or a string is sent as is: it must already be JSON text (FunctionGraph
 *   answers 406 otherwise). This lets a connector that already holds JSON bytes skip a parse.
 * - anything else is JSON.stringify'd; `undefined` sends `{}` (FunctionGraph wants a JSON body).
 */
export function encodePayload(
  payload: unknown,
  mode: "sync" | "async",
  limit: number,
): string | Uint8Array {
  let body: string | Uint8Array;
  if (typeof payload === "string") body = payload;
  else if (payload instanceof Uint8Array) body = payload;
  else if (payload === undefined) body = "{}";
  else {
    let json: string | undefined;
    try {
      json = JSON.stringify(payload);
    } catch (err) {
      throw new InvalidArgumentError(
        "payload",
        `is not JSON-serialisable (${(err as Error).message})`,
        "Pass a JSON-serialisable value, or a Buffer/string holding JSON.",
      );
    }
    if (json === undefined) {
      throw new InvalidArgumentError("payload", "is not JSON-serialisable (a function or symbol)");
    }
    body = json;
  }
  if (typeof body === "string") {
    // UTF-8 takes 1 to 3 bytes per UTF-16 unit: only count bytes when the length cannot decide.
    if (body.length * 3 > limit && (body.length > limit || Buffer.byteLength(body) > limit)) {
      throw new PayloadTooLargeError(Buffer.byteLength(body), limit, mode);
    }
  } else if (body.byteLength > limit) {
    throw new PayloadTooLargeError(body.byteLength, limit, mode);
  }
  return body;
}
