/**
 * A real OTLP/HTTP trace receiver for tests: POST /v1/traces, in either encoding a collector
 * accepts (application/x-protobuf, decoded with protobufjs and the public message layout of
 * opentelemetry/proto/collector/trace/v1; or application/json, OTLP/JSON), answered 200 as a
 * collector does. It keeps every span it received, flattened.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import protobuf from "protobufjs";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  events: string[];
  links: { traceId: string; spanId: string }[];
  resource: Record<string, string | number | boolean>;
  encoding: "protobuf" | "json";
}

export interface OtlpReceiver {
  /** Base URL, as `telemetry.otlp.endpoint` (the exporter appends /v1/traces). */
  url: string;
  spans: ReceivedSpan[];
  /** Export requests received, of any kind. */
  requests: number;
  /** Resolves once a span matching `match` arrived. */
  waitForSpan(match: (s: ReceivedSpan) => boolean, timeoutMs?: number): Promise<ReceivedSpan>;
  close(): Promise<void>;
}

// The fields of opentelemetry-proto's trace messages that a test reads (numbers as published).
const KEY_VALUE = {
  fields: { key: { type: "string", id: 1 }, value: { type: "AnyValue", id: 2 } },
};
const root = protobuf.Root.fromJSON({
  nested: {
    ExportTraceServiceRequest: {
      fields: { resourceSpans: { rule: "repeated", type: "ResourceSpans", id: 1 } },
    },
    ResourceSpans: {
      fields: {
        resource: { type: "Resource", id: 1 },
        scopeSpans: { rule: "repeated", type: "ScopeSpans", id: 2 },
      },
    },
    Resource: { fields: { attributes: { rule: "repeated", type: "KeyValue", id: 1 } } },
    ScopeSpans: { fields: { spans: { rule: "repeated", type: "Span", id: 2 } } },
    Span: {
      fields: {
        traceId: { type: "bytes", id: 1 },
        spanId: { type: "bytes", id: 2 },
        parentSpanId: { type: "bytes", id: 4 },
        name: { type: "string", id: 5 },
        kind: { type: "int32", id: 6 },
        attributes: { rule: "repeated", type: "KeyValue", id: 9 },
        events: { rule: "repeated", type: "Event", id: 11 },
        links: { rule: "repeated", type: "Link", id: 13 },
        status: { type: "Status", id: 15 },
      },
    },
    Event: { fields: { name: { type: "string", id: 2 } } },
    Link: { fields: { traceId: { type: "bytes", id: 1 }, spanId: { type: "bytes", id: 2 } } },
    Status: { fields: { code: { type: "int32", id: 3 } } },
    KeyValue: KEY_VALUE,
    AnyValue: {
      oneofs: { value: { oneof: ["stringValue", "boolValue", "intValue", "doubleValue"] } },
      fields: {
        stringValue: { type: "string", id: 1 },
        boolValue: { type: "bool", id: 2 },
        intValue: { type: "int64", id: 3 },
        doubleValue: { type: "double", id: 4 },
      },
    },
  },
});
const ExportRequest = root.lookupType("ExportTraceServiceRequest");

// The OTLP/JSON shape and protobufjs's decoded object, once both are normalised by `toSpans`.
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface WireSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: KeyValue[];
  events?: { name: string }[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}
interface WireRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { spans?: WireSpan[] }[];
  }[];
}

function attributes(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    if (!value) continue;
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
  }
  return out;
}

function toSpans(req: WireRequest, encoding: ReceivedSpan["encoding"]): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? "",
          name: s.name,
          kind: s.kind ?? 0,
          attributes: attributes(s.attributes),
          statusCode: s.status?.code ?? 0,
          events: (s.events ?? []).map((e) => e.name),
          links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          resource,
          encoding,
        });
      }
    }
  }
  return spans;
}

function decodeProtobuf(body: Buffer): WireRequest {
  const message = ExportRequest.decode(body);
  // Ids are bytes on the wire and hex in OTLP/JSON: one form, hex, for both.
  const hex = (b: unknown) => (b instanceof Uint8Array ? Buffer.from(b).toString("hex") : "");
  const plain = ExportRequest.toObject(message, { longs: String, arrays: true }) as WireRequest;
  for (const rs of plain.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? []) {
        s.traceId = hex(s.traceId);
        s.spanId = hex(s.spanId);
        s.parentSpanId = hex(s.parentSpanId);
        for (const l of s.links ?? []) {
          l.traceId = hex(l.traceId);
          l.spanId = hex(l.spanId);
        }
      }
  return plain;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const waiters: { match: (s: ReceivedSpan) => boolean; resolve: (s: ReceivedSpan) => void }[] = [];
  const receiver: OtlpReceiver = {
    url: "",
    spans: [],
    requests: 0,
    waitForSpan(match, timeoutMs = 20_000) {
      const found = receiver.spans.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching span within ${timeoutMs} ms; received:\n${receiver.spans.map((s) => `${s.name} ${JSON.stringify(s.attributes)}`).join("\n")}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (s) => {
            clearTimeout(timer);
            resolve(s);
          },
        });
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer(async (req, res) => {
    receiver.requests += 1;
    const body = await bodyOf(req);
    if (req.method !== "POST" || req.url !== "/v1/traces") {
      res.writeHead(404).end();
      return;
    }
    const type = req.headers["content-type"] ?? "";
    let spans: ReceivedSpan[];
    try {
      spans = type.startsWith("application/json")
        ? toSpans(JSON.parse(body.toString("utf8")) as WireRequest, "json")
        : toSpans(decodeProtobuf(body), "protobuf");
    } catch (err) {
      res.writeHead(400, { "content-type": "text/plain" }).end(String(err));
      return;
    }
    receiver.spans.push(...spans);
    for (const s of spans)
      for (const w of [...waiters])
        if (w.match(s)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(s);
        }
    // An empty ExportTraceServiceResponse: full success.
    if (type.startsWith("application/json"))
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    else res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
