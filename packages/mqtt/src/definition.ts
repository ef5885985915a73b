import { defineConnector } from "@fgconnect/core";
import { mqttDeadLetterReader, reviveMqttRecord } from "./dead-letter-reader.js";
import { mqttOptionsSchema } from "./options.js";
import { MqttConnector } from "./source.js";

/** The `mqtt` connector type: its options, docs and factory in one place. */
export const mqttConnector = defineConnector({
  type: "mqtt",
  summary:
    "Subscribes to MQTT 3.1.1 or 5 topics (QoS 0, 1, 2) and acknowledges each message only after it was delivered or dead-lettered.",
  options: mqttOptionsSchema,
  examples: [
    {
      title: "Sensors at QoS 1 with a persistent session",
      yaml: `url: mqtt://broker.example:1883
clientId: fgconnect-plant-1
topics:
  - { filter: "sensors/+/temp", qos: 1 }`,
    },
    {
      title: "A shared subscription over TLS, results to response topics",
      yaml: `url: mqtts://broker.example:8883
username: fgconnect
password: "\${MQTT_PASSWORD}"
topics:
  - { filter: "$share/fgconnect/orders/#", qos: 2 }
respond: { qos: 1 }`,
    },
  ],
  create: (name, options) => new MqttConnector(name, options),
  deadLetters: {
    revive: reviveMqttRecord,
    reader: (name, options, context) => mqttDeadLetterReader(name, options, context),
  },
});
