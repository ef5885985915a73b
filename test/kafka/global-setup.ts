import type { TestProject } from "vitest/node";
import {
  KafkaBroker,
  type KafkaTestEnv,
  MAIN_KAFKA_VERSION,
  serveControl,
} from "../harness/kafka.js";

declare module "vitest" {
  export interface ProvidedContext {
    kafka: KafkaTestEnv;
  }
}

/** One broker for the whole run, stopped (and its data deleted) at the end. */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return setupBroker(project, process.env.KAFKA_VERSION ?? MAIN_KAFKA_VERSION);
}

/** Starts a broker of `version` and provides it to the project's tests. */
export async function setupBroker(
  project: TestProject,
  version: string,
): Promise<() => Promise<void>> {
  const broker = await KafkaBroker.create(version);
  const control = await serveControl(broker);
  project.provide("kafka", { broker: broker.info, controlUrl: control.url });
  return async () => {
    await control.close();
    await broker.destroy();
  };
}
