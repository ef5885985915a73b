/**
 * Traces from the built daemon to a real OTLP/HTTP receiver: a span per batch (parented by the
 * producer's traceparent, from HTTP headers, MQTT 5 user properties or AMQP headers) and a span per
 * invocation attempt, whose context reaches FunctionGraph (the emulator) in `traceparent`.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import amqplib from "amqplib";
import mqtt from "mqtt";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { functiongraphOf } from "../harness/emulator-section.js";
import { type Mosquitto, startMosquitto } from "../harness/mosquitto.js";
import { DAEMON_CONNECTOR } from "../rabbitmq/helpers.js";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./otlp-receiver.js";
import { producer, traceparent } from "./producer-context.js";

const RABBITMQ_URL = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const KIND_CLIENT = 3;
const KIND_CONSUMER = 5;
const STATUS_ERROR = 2;

let emulator: Emulator;
let receiver: OtlpReceiver;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      ok: async () => ({ statusCode: 200, isBase64Encoded: false, headers: {}, body: "ok" }),
      broken: async () => {
        throw new Error("cannot handle this order");
      },
    },
    auth: false,
    log: false,
  });
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  for (const d of daemons) if (d.child.exitCode === null) d.child.kill("SIGKILL");
  await receiver?.close();
  await emulator?.close();
});

function config(dir: string, connectors: Record<string, unknown>, routes: unknown[], more = {}) {
  return JSON.stringify({
    functiongraph: functiongraphOf(emulator),
    connectors,
    routes,
    deadLetter: { type: "file", path: join(dir, "dead-letter.jsonl"), fsync: false },
    admin: { port: 0 },
    log: { level: "info", pretty: false },
    ...more,
  });
}

async function start(dir: string, text: string, env: NodeJS.ProcessEnv = {}) {
  const d = await startRunningDaemon(dir, text, { FGCONNECT_LOG_LEVEL: "info", ...env });
  daemons.push(d);
  return d;
}

async function stop(d: DaemonProcess): Promise<void> {
  d.child.kill("SIGTERM");
  expect(await d.exited).toBe(0);
}

const httpUrl = (d: DaemonProcess) =>
  String(d.lines.find((l) => l.msg === "http server listening")?.url);

/** The spans of one trace: its batch span and the attempts under it. */
function batchOf(
  traceId: string,
  route: string,
): { batch: ReceivedSpan; attempts: ReceivedSpan[] } {
  const batch = receiver.spans.find((s) => s.traceId === traceId && s.name === `deliver ${route}`);
  if (!batch) throw new Error(`no batch span for route ${route} in trace ${traceId}`);
  const attempts = receiver.spans
    .filter((s) => s.parentSpanId === batch.spanId)
    .sort(
      (a, b) =>
        Number(a.attributes["fgconnect.attempt"]) - Number(b.attributes["fgconnect.attempt"]),
    );
  return { batch, attempts };
}

describe("traces of HTTP requests (OTLP/HTTP protobuf, the default)", () => {
  it("continue the caller's trace, carry the delivery's attributes, and are flushed at stop", async () => {
    const dir = workDir("fgc-traces-http-");
    const d = await start(
      dir,
      config(
        dir,
        {
          api: {
            type: "http",
            host: "127.0.0.1",
            port: 0,
            routes: [
              { name: "orders", method: "POST", path: "/orders" },
              { name: "broken", method: "POST", path: "/broken" },
            ],
          },
        },
        [
          {
            name: "orders",
            from: "api",
            to: [emulator.urnFor("ok")],
            mode: "sync",
            filter: { attributes: { route: ["orders"] } },
          },
          {
            name: "broken",
            from: "api",
            to: [emulator.urnFor("broken")],
            mode: "sync",
            filter: { attributes: { route: ["broken"] } },
            delivery: { maxAttempts: 2, firstDelayMs: 10 },
          },
        ],
        { telemetry: { otlp: { endpoint: receiver.url } } },
      ),
      // Nothing is exported on a timer during the test: only the flush at stop can send spans.
      { OTEL_BSP_SCHEDULE_DELAY: "600000", OTEL_SERVICE_NAME: "fgc-traces-test" },
    );
    const url = httpUrl(d);
    const traced = producer();
    const failing = producer();
    const post = (path: string, headers: Record<string, string> = {}) =>
      request(`${url}${path}`, { method: "POST", body: '{"n":1}', headers });

    const answered = await post("/orders", {
      traceparent: traceparent(traced),
      tracestate: "vendor=abc",
    });
    expect(answered.statusCode).toBe(200);
    await answered.body.text();
    const untraced = await post("/orders");
    expect(untraced.statusCode).toBe(200);
    await untraced.body.text();
    const failed = await post("/broken", { traceparent: traceparent(failing) });
    await failed.body.text();
    expect(failed.statusCode).toBeGreaterThanOrEqual(500);

    expect(receiver.spans.filter((s) => s.resource["service.name"] === "fgc-traces-test")).toEqual(
      [],
    );
    await stop(d);
    const ours = receiver.spans.filter((s) => s.resource["service.name"] === "fgc-traces-test");
    expect(ours.length).toBeGreaterThan(0);
    expect(new Set(ours.map((s) => s.encoding))).toEqual(new Set(["protobuf"]));
    expect(ours[0]!.resource["service.instance.id"]).toBeTypeOf("string");

    // The caller's span is the batch span's parent; the attempt is the batch span's child.
    const okUrn = emulator.urnFor("ok");
    const { batch, attempts } = batchOf(traced.traceId, "orders");
    expect(batch.parentSpanId).toBe(traced.spanId);
    expect(batch.kind).toBe(KIND_CONSUMER);
    expect(batch.attributes).toMatchObject({
      "fgconnect.route": "orders",
      "fgconnect.function": okUrn,
      "fgconnect.mode": "sync",
      "fgconnect.source": "api",
      "fgconnect.records": 1,
      "fgconnect.delivered": 1,
      "fgconnect.dead_lettered": 0,
    });
    expect(attempts).toHaveLength(1);
    const attempt = attempts[0]!;
    expect(attempt.kind).toBe(KIND_CLIENT);
    // FunctionGraph was called with the attempt's own context: its request id is on the span.
    const invocation = emulator.invocations.find(
      (i) => i.traceparent === `00-${traced.traceId}-${attempt.spanId}-01`,
    );
    expect(invocation?.urn).toBe(okUrn);
    expect(attempt.attributes).toMatchObject({
      "fgconnect.route": "orders",
      "fgconnect.function": okUrn,
      "fgconnect.mode": "sync",
      "fgconnect.attempt": 1,
      "fgconnect.outcome": "success",
      "functiongraph.request_id": invocation!.requestId,
    });
    expect(attempt.attributes["fgconnect.error_code"]).toBeUndefined();

    // A request without trace context starts a trace of its own.
    const roots = ours.filter(
      (s) => s.name === "deliver orders" && s.parentSpanId === "" && s.traceId !== traced.traceId,
    );
    expect(roots).toHaveLength(1);
    expect(ours.filter((s) => s.parentSpanId === roots[0]!.spanId)).toHaveLength(1);

    // Every attempt is a span; the batch span says what was dead-lettered.
    const broken = batchOf(failing.traceId, "broken");
    expect(broken.batch.parentSpanId).toBe(failing.spanId);
    expect(broken.batch.statusCode).toBe(STATUS_ERROR);
    expect(broken.batch.attributes).toMatchObject({ "fgconnect.dead_lettered": 1 });
    expect(broken.batch.events).toEqual(["retry", "dead-letter"]);
    expect(broken.attempts.map((a) => a.attributes["fgconnect.attempt"])).toEqual([1, 2]);
    for (const a of broken.attempts) {
      expect(a.statusCode).toBe(STATUS_ERROR);
      expect(a.attributes).toMatchObject({
        "fgconnect.outcome": "function-error",
        "fgconnect.error_code": "FUNCTION_ERROR",
      });
      expect(a.attributes["functiongraph.request_id"]).toBeTypeOf("string");
    }
  });

  it("are off without an endpoint: nothing exported, no traceparent sent to FunctionGraph", async () => {
    const dir = workDir("fgc-traces-off-");
    const before = receiver.requests;
    const d = await start(
      dir,
      config(
        dir,
        {
          api: {
            type: "http",
            host: "127.0.0.1",
            port: 0,
            routes: [{ name: "orders", method: "POST", path: "/orders" }],
          },
        },
        [{ name: "off", from: "api", to: [emulator.urnFor("ok")], mode: "sync" }],
      ),
      { OTEL_SERVICE_NAME: "fgc-traces-off" },
    );
    const caller = producer();
    const res = await request(`${httpUrl(d)}/orders`, {
      method: "POST",
      body: "{}",
      headers: { traceparent: traceparent(caller) },
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await stop(d);
    expect(receiver.requests).toBe(before);
    expect(d.lines.some((l) => l.msg.startsWith("tracing:"))).toBe(false);
    const calls = emulator.invocations.filter((i) => i.urn === emulator.urnFor("ok"));
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.at(-1)!.traceparent).toBeUndefined();
  });
});

describe("traces of MQTT 5 messages (OTLP/HTTP JSON)", () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it("parent a batch on its first message's context and link the others", async () => {
    const dir = workDir("fgc-traces-mqtt-");
    const topic = `traces/${randomBytes(4).toString("hex")}`;
    const d = await start(
      dir,
      config(
        dir,
        { devices: { type: "mqtt", url: broker.url, topics: [{ filter: `${topic}/#`, qos: 1 }] } },
        [
          {
            name: "telemetry",
            from: "devices",
            to: [emulator.urnFor("ok")],
            mode: "async",
            batch: { maxRecords: 3, maxWaitMs: 2_000 },
          },
        ],
        { telemetry: { otlp: { endpoint: receiver.url, protocol: "http/json" } } },
      ),
      { OTEL_BSP_SCHEDULE_DELAY: "100" },
    );
    const producers = [producer(), producer(), producer()];
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    try {
      // One topic: one ordering key, so the three are batched together.
      for (const [i, p] of producers.entries())
        await client.publishAsync(`${topic}/sensor`, JSON.stringify({ i }), {
          qos: 1,
          properties: { userProperties: { traceparent: traceparent(p) } },
        });
    } finally {
      await client.endAsync();
    }
    const traceIds = new Set(producers.map((p) => p.traceId));
    const batch = await receiver.waitForSpan(
      (s) => s.name === "deliver telemetry" && traceIds.has(s.traceId),
    );
    const attempt = await receiver.waitForSpan((s) => s.parentSpanId === batch.spanId);
    await stop(d);

    expect(batch.encoding).toBe("json");
    expect(batch.attributes).toMatchObject({
      "fgconnect.mode": "async",
      "fgconnect.source": "devices",
      "fgconnect.records": 3,
      "fgconnect.delivered": 3,
    });
    const parent = producers.find((p) => p.traceId === batch.traceId)!;
    expect(batch.parentSpanId).toBe(parent.spanId);
    const others = producers.filter((p) => p !== parent);
    expect(batch.links).toEqual(
      expect.arrayContaining(others.map((p) => ({ traceId: p.traceId, spanId: p.spanId }))),
    );
    expect(batch.links).toHaveLength(2);
    expect(attempt.attributes).toMatchObject({
      "fgconnect.mode": "async",
      "fgconnect.attempt": 1,
      "fgconnect.outcome": "success",
    });
    // The async request id is FunctionGraph's 202 answer's.
    const invocation = emulator.invocations.find(
      (i) => i.traceparent === `00-${batch.traceId}-${attempt.spanId}-01`,
    );
    expect(invocation?.mode).toBe("async");
    expect(attempt.attributes["functiongraph.request_id"]).toBe(invocation!.requestId);
  });
});

describe("traces of RabbitMQ messages (the shared broker)", () => {
  it("continue the trace a publisher put in the AMQP headers", async () => {
    const dir = workDir("fgc-traces-amqp-");
    const queue = `fgc-test-traces-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
    const model = await amqplib.connect(RABBITMQ_URL);
    try {
      const ch = await model.createConfirmChannel();
      await ch.assertQueue(queue, { durable: false });
      const d = await start(
        dir,
        config(
          dir,
          {
            mq: { ...DAEMON_CONNECTOR, queues: [queue] },
          },
          [{ name: "amqp", from: "mq", to: [emulator.urnFor("ok")], mode: "sync" }],
          { telemetry: { otlp: { endpoint: receiver.url } } },
        ),
        { OTEL_BSP_SCHEDULE_DELAY: "100" },
      );
      const p = producer();
      ch.sendToQueue(queue, Buffer.from('{"n":1}'), {
        headers: { traceparent: traceparent(p), tracestate: "vendor=amqp" },
      });
      await ch.waitForConfirms();
      const batch = await receiver.waitForSpan(
        (s) => s.name === "deliver amqp" && s.traceId === p.traceId,
      );
      const attempt = await receiver.waitForSpan((s) => s.parentSpanId === batch.spanId);
      await stop(d);
      expect(batch.parentSpanId).toBe(p.spanId);
      expect(batch.attributes).toMatchObject({
        "fgconnect.source": "mq",
        "fgconnect.delivered": 1,
      });
      expect(attempt.attributes["fgconnect.outcome"]).toBe("success");
      await ch.deleteQueue(queue);
    } finally {
      await model.close();
    }
  });
});
