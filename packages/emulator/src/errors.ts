import type { ServerResponse } from "node:http";

/** An API error answered as `{"error_code": "...", "error_msg": "..."}` with an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Gateway errors (APIGW.*) also carry the request id in the body. */
    readonly withRequestId = false,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (msg: string) => new ApiError(400, "FSS.0400", msg);
export const invalidUrn = (msg: string) => new ApiError(400, "FSS.1309", msg);
export const notFound = (msg: string) => new ApiError(404, "FSS.1051", msg);
export const tooMany = (msg: string) => new ApiError(429, "FSS.0429", msg);
export const tooLarge = (size: number | string, limit: number) =>
  new ApiError(
    413,
    "FSS.0413",
    `request body of ${size} bytes exceeds the limit of ${limit} bytes`,
  );

export function sendError(res: ServerResponse, err: ApiError, requestId: string): void {
  const body: Record<string, string> = { error_code: err.code, error_msg: err.message };
  if (err.withRequestId) body.request_id = requestId;
  const text = JSON.stringify(body);
  res.writeHead(err.status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "X-Request-Id": requestId,
    "X-Cff-Request-Id": requestId,
  });
  res.end(text);
}
