/**
 * An engine with one Kafka connector in the test process, delivering over real HTTP to an
 * emulator whose function records what it receives.
 */

import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createClient,
  createEngine,
  type DeadLetterSink,
  type Engine,
  type Logger,
  type RouteInput,
} from "@fgconnect/core";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { createKafkaConnector, type KafkaConnector, type KafkaOptions } from "@fgconnect/kafka";
import { TEST_KAFKA_CLIENT } from "./client-choice.js";
import { type RecordingFunction, recordingFunction } from "./sink.js";

export interface Pipeline {
  engine: Engine;
  connector: KafkaConnector;
  emulator: Emulator;
  fn: RecordingFunction;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  connector: KafkaOptions;
  route?: Partial<RouteInput>;
  fail?: (value: string) => boolean;
  deadLetter?: DeadLetterSink;
  limits?: { maxInFlight?: number; maxBufferedRecords?: number };
  /** The engine's (and connector's) logger; silent by default. */
  logger?: Logger;
}

export async function startPipeline(o: PipelineOptions): Promise<Pipeline> {
  const fn = recordingFunction(o.fail);
  const emulator = await startEmulator({
    functions: { sink: fn.handler },
    port: 0,
    log: false,
    auth: false,
  });
  const client = createClient({ endpoint: emulator.url, projectId: emulator.projectId });
  const connector = createKafkaConnector("orders", { client: TEST_KAFKA_CLIENT, ...o.connector });
  const dir = await mkdtemp(join(tmpdir(), "fgconnect-kafka-dlq-"));
  const engine = createEngine({
    invoker: client,
    connectors: [connector],
    routes: [{ from: "orders", to: [emulator.urnFor("sink")], mode: "sync", ...o.route }],
    deadLetter: o.deadLetter ?? { type: "file", path: join(dir, "dead-letter.jsonl") },
    limits: o.limits ?? {},
    ...(o.logger ? { logger: o.logger } : {}),
  });
  await engine.start();
  return {
    engine,
    connector,
    emulator,
    fn,
    async stop() {
      await engine.stop({ deadlineMs: 10_000 });
      await emulator.close();
    },
  };
}
