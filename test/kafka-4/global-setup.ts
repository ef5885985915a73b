import type { TestProject } from "vitest/node";
import { COMPAT_KAFKA_VERSION } from "../harness/kafka.js";
import { setupBroker } from "../kafka/global-setup.js";

/** The same broker setup as the main Kafka suite, on the current 4.x release. */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return setupBroker(project, COMPAT_KAFKA_VERSION);
}
