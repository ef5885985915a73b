/**
 * An HTTP record back from its dead letter, for `fgconnect dlq replay`: the request's attributes
 * hold every part of the APIG event but the body, which the entry holds as bytes. No caller
 * waits for a replay, so the record has no answer to give: the function's result is dropped.
 */
import { type DeadLetterEntry, reviveRecord, traceContextOf } from "@fgconnect/core";
import { HttpConnectorError } from "./errors.js";
import type { ApigEvent, HttpRecord } from "./event.js";

type Strings = Record<string, string>;

function isStrings(value: unknown): value is Strings {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string")
  );
}

function isRequestContext(value: unknown): value is ApigEvent["requestContext"] {
  return isStrings(value) && ["apiId", "requestId", "stage", "sourceIp"].every((k) => k in value);
}

export function reviveHttpRecord(entry: DeadLetterEntry): HttpRecord {
  const plain = reviveRecord(entry);
  const a = plain.attributes;
  const { resource, method, path, headers, query, pathParameters, requestContext } = a;
  if (
    typeof resource !== "string" ||
    typeof method !== "string" ||
    typeof path !== "string" ||
    !isStrings(headers) ||
    !isStrings(query) ||
    !isStrings(pathParameters) ||
    !isRequestContext(requestContext)
  )
    throw new HttpConnectorError(
      "HTTP_DEAD_LETTER_INCOMPLETE",
      `dead letter ${entry.id} does not hold the whole HTTP request (an earlier fgconnect kept only its route, method and path)`,
      "filter it out of the replay (--id, --pattern, --since), or send the request again",
    );
  const body = Buffer.isBuffer(plain.body) ? plain.body : Buffer.from(JSON.stringify(plain.body));
  const base64 = a.isBase64Encoded === true;
  const event: ApigEvent = {
    resource,
    path,
    httpMethod: method,
    headers,
    queryStringParameters: query,
    pathParameters,
    body: body.toString(base64 ? "base64" : "utf8"),
    isBase64Encoded: base64,
    requestContext,
  };
  const traceContext = traceContextOf(headers);
  return { ...plain, body, event, ...(traceContext ? { traceContext } : {}) };
}
