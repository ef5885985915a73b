import type { JsonValue, PayloadFormat, SourceRecord } from "@fgconnect/core";

/** One poll's answer. */
export interface HttpPollRecord extends SourceRecord {
  readonly attributes: { url: string; status: number; contentType: string };
}

/** What one successful GET answered. */
export interface PollResponse {
  status: number;
  contentType: string;
  text: string;
}

/** The response as a record: a JSON body stays structured (filters can match on it). */
export function pollRecord(
  source: string,
  url: string,
  response: PollResponse,
  sequence: number,
  now: number,
): HttpPollRecord {
  let body: JsonValue = response.text;
  if (response.contentType.includes("json")) {
    try {
      body = JSON.parse(response.text) as JsonValue;
    } catch {
      // Not JSON after all: sent as text.
    }
  }
  return {
    id: `${url}#${sequence}`,
    source,
    attributes: { url, status: response.status, contentType: response.contentType },
    body,
    timestamp: now,
    size: Buffer.byteLength(response.text),
  };
}

/** What the function receives: one event per poll (routes may batch; each item is this). */
export const nativeFormat: PayloadFormat<HttpPollRecord> = {
  description: "{ url, status, polledAt, body } per response; a batch is { records: [...] }",
  build(records) {
    const events = records.map((r) => ({
      url: r.attributes.url,
      status: r.attributes.status,
      polledAt: new Date(r.timestamp).toISOString(),
      body: r.body,
    }));
    return events.length === 1 ? events[0] : { records: events };
  },
};
