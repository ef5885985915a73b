import type { InvokeResult } from "@fgconnect/core";

/**
 * What is published to a response topic for a function's result: an APIG-style result's body
 * (base64 undone) with its Content-Type header, else the result as FunctionGraph returned it
 * (the return value serialised as JSON).
 */
export function responseOf(result: InvokeResult): { payload: Buffer; contentType?: string } {
  if (result.apig) {
    const { body, isBase64Encoded, headers } = result.apig;
    const type = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type")?.[1];
    return {
      payload: Buffer.from(body, isBase64Encoded ? "base64" : "utf8"),
      ...(type ? { contentType: type } : {}),
    };
  }
  return {
    payload: Buffer.from(result.raw, "utf8"),
    ...(result.json !== undefined ? { contentType: "application/json" } : {}),
  };
}
