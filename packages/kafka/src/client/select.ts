/**
 * The client library behind the connector, by its `client` option. Each adapter loads its
 * library on first use, so a daemon holds only the one it runs on.
 */
import type { KafkaClientName } from "../options.js";
import { createKafkajsClient } from "./kafkajs.js";
import { createPlatformaticClient } from "./platformatic.js";
import type { ClientFactory } from "./types.js";

export function clientFor(name: KafkaClientName = "kafkajs"): ClientFactory {
  return name === "platformatic" ? createPlatformaticClient : createKafkajsClient;
}
