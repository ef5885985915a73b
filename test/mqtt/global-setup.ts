import type { TestProject } from "vitest/node";
import { info, type Mosquitto, type MosquittoInfo, startMosquitto } from "../harness/mosquitto.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Anonymous broker shared by most files (each uses its own topics and client ids). */
    broker: MosquittoInfo;
    /** Broker with a password file: user "device" / "s3cret-pass". */
    passwordBroker: MosquittoInfo;
    /** mqtts:// broker with a generated CA. */
    tlsBroker: MosquittoInfo;
  }
}

export const USER = { name: "device", password: "s3cret-pass" };

let brokers: Mosquitto[] = [];

export async function setup(project: TestProject): Promise<void> {
  brokers = await Promise.all([
    startMosquitto(),
    startMosquitto({ users: { [USER.name]: USER.password } }),
    startMosquitto({ tls: true }),
  ]);
  const [plain, password, tls] = brokers as [Mosquitto, Mosquitto, Mosquitto];
  project.provide("broker", info(plain));
  project.provide("passwordBroker", info(password));
  project.provide("tlsBroker", info(tls));
}

export async function teardown(): Promise<void> {
  await Promise.all(brokers.map((b) => b.close()));
}
