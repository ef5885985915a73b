import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createClient,
  createEngine,
  type Engine,
  type LimitsInput,
  type RouteInput,
} from "@fgconnect/core";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import {
  createMqttConnector,
  type MqttConnector,
  type MqttEvent,
  type MqttOptions,
} from "@fgconnect/mqtt";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

let unique = 0;
/** A name no other test (or earlier run against the same broker) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++unique}`;
}

/** Everything the function received, and a way to wait for a count of messages. */
export class Received {
  readonly events: MqttEvent[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  /** Every message payload (as the event carries it), in arrival order. */
  get messages(): MqttEvent["records"] {
    return this.events.flatMap((e) => e.records);
  }

  add(event: MqttEvent): void {
    this.events.push(event);
    const count = this.messages.length;
    const ready = this.waiters.filter((w) => count >= w.n);
    this.waiters = this.waiters.filter((w) => count < w.n);
    for (const w of ready) w.resolve();
  }

  /** Resolves once at least `n` messages arrived; rejects after `timeoutMs` saying how many did. */
  waitFor(n: number, timeoutMs = 20_000): Promise<void> {
    if (this.messages.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`waited for ${n} messages, got ${this.messages.length}`)),
        timeoutMs,
      );
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

export interface Pipeline {
  connector: MqttConnector;
  engine: Engine;
  received: Received;
  emulator: Emulator;
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * The real thing in one process: a connector on the real broker, the engine, and core's client
 * invoking the emulator over HTTP. The function `sink` records what it gets.
 */
export async function pipeline(
  options: MqttOptions,
  extra: {
    route?: Partial<RouteInput>;
    limits?: LimitsInput;
    handler?: (event: MqttEvent) => unknown;
    emulator?: Emulator;
    received?: Received;
  } = {},
): Promise<Pipeline> {
  const received = extra.received ?? new Received();
  const emulator =
    extra.emulator ??
    (await startEmulator({
      functions: {
        sink: async (event: unknown) => {
          received.add(event as MqttEvent);
          return extra.handler ? extra.handler(event as MqttEvent) : { ok: true };
        },
      },
      auth: false,
      log: false,
    }));
  const client = createClient({
    endpoint: emulator.url,
    projectId: emulator.projectId,
    region: emulator.region,
  });
  const connector = createMqttConnector("mq", options);
  const dir = await mkdtemp(join(tmpdir(), "fgc-mqtt-dlq-"));
  const engine = createEngine({
    invoker: client,
    connectors: [connector],
    routes: [{ from: "mq", to: [emulator.urnFor("sink")], mode: "sync", ...extra.route }],
    // The engine's file sink; a connector with its own `deadLetter` topic is used instead.
    deadLetter: { type: "file", path: join(dir, "dead-letter.jsonl"), fsync: false },
    ...(extra.limits ? { limits: extra.limits } : {}),
  });
  await engine.start();
  return {
    connector,
    engine,
    received,
    emulator,
    async stop(deadlineMs = 5000) {
      await engine.stop({ deadlineMs });
      await client.close();
      if (!extra.emulator) await emulator.close();
    },
  };
}

export async function publisher(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 200, ...options });
}

/** Decoded payloads of the messages received, in order. */
export function payloads(received: Received): unknown[] {
  return received.messages.map((m) => m.payload);
}
