import { describe, expect, it } from "vitest";
import { z } from "zod";
import { clientOptions } from "../src/client/options.js";
import { mqttOptionsSchema } from "../src/options.js";

const base = { url: "mqtt://broker:1883", topics: [{ filter: "a/#" }] };
const problems = (input: unknown) => {
  const r = mqttOptionsSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("mqttOptionsSchema", () => {
  it("fills the defaults: MQTT 5, persistent session with an expiry, QoS 1, ordering per topic", () => {
    expect(mqttOptionsSchema.parse(base)).toMatchObject({
      protocolVersion: 5,
      clean: false,
      sessionExpirySeconds: 86_400,
      keepaliveSeconds: 30,
      topics: [{ filter: "a/#", qos: 1 }],
      ordering: "topic",
      reconnect: { minDelayMs: 1000, maxDelayMs: 30_000 },
    });
  });

  it("names the field of each mistake", () => {
    expect(problems({ ...base, topics: [{ filter: "a/#/b" }] })).toEqual([
      "topics.0.filter: '#' must be a whole level and the last one",
    ]);
    expect(problems({ ...base, topics: [{ filter: "a/b+" }] })).toEqual([
      "topics.0.filter: '+' must be a whole level",
    ]);
    expect(problems({ ...base, topics: [{ filter: "$share//a" }] })[0]).toMatch(
      /^topics.0.filter: a shared subscription/,
    );
    expect(problems({ ...base, topics: [{ filter: "a", qos: 3 }] })[0]).toMatch(/^topics.0.qos/);
    expect(problems({ ...base, url: "http://x" })[0]).toMatch(/^url/);
    expect(problems({ ...base, password: "p" })).toEqual(["username: a password needs a username"]);
    expect(problems({ ...base, protocolVersion: 4, respond: {} })).toEqual([
      "respond: response topics need protocolVersion 5",
    ]);
    expect(problems({ ...base, tls: { cert: "c.pem" } })).toEqual([
      "tls.key: give both cert and key (mutual TLS), or neither",
    ]);
    expect(problems({ ...base, deadLetter: { topic: "dead/#" } })[0]).toMatch(/^deadLetter.topic/);
    expect(problems({ ...base, topic: "a" })[0]).toMatch(/Unrecognized key/);
  });

  it("accepts shared subscriptions and a list of brokers", () => {
    expect(
      problems({
        ...base,
        url: ["mqtt://a:1883", "mqtts://b:8883"],
        topics: [{ filter: "$share/g/a/+/c", qos: 2 }],
      }),
    ).toEqual([]);
  });

  it("describes every field (the config docs come from the schema)", () => {
    const json = z.toJSONSchema(mqttOptionsSchema, { io: "input" }) as {
      properties: Record<string, { description?: string }>;
    };
    for (const [key, prop] of Object.entries(json.properties))
      expect(prop.description, key).toMatch(/\S/);
  });
});

describe("clientOptions", () => {
  it("maps options to mqtt.js: session expiry and receive maximum on MQTT 5, servers for failover", () => {
    const o = clientOptions(
      "fgconnect-plant-0",
      mqttOptionsSchema.parse({
        ...base,
        url: ["mqtt://a:1883", "mqtts://b"],
        username: "u",
        password: "p",
      }),
    );
    expect(o).toMatchObject({
      protocol: "mqtt",
      host: "a",
      port: 1883,
      servers: [
        { protocol: "mqtt", host: "a", port: 1883 },
        { protocol: "mqtts", host: "b", port: 8883 },
      ],
      protocolVersion: 5,
      clean: false,
      username: "u",
      password: "p",
      properties: { sessionExpiryInterval: 86_400, receiveMaximum: 1000 },
    });
    expect(o.clientId).toBe("fgconnect-plant-0");
    expect(
      clientOptions("x", mqttOptionsSchema.parse({ ...base, protocolVersion: 4 })).properties,
    ).toBeUndefined();
  });

  it("refuses an unreadable TLS file naming the field", () => {
    expect(() =>
      clientOptions("x", mqttOptionsSchema.parse({ ...base, tls: { ca: "/nonexistent/ca.pem" } })),
    ).toThrow(/tls\.ca: cannot read \/nonexistent\/ca\.pem/);
  });
});
