import { ConnectorOptionsError, parseConnectorOptions } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { rabbitmqConnector } from "../src/definition.js";
import { consumedQueues } from "../src/options.js";

const parse = (o: unknown) => parseConnectorOptions(rabbitmqConnector, "mq", o);

describe("rabbitmq options", () => {
  it("defaults prefetch, ordering, failure handling and reconnect backoff", () => {
    const o = parse({ url: "amqp://broker:5672", queues: ["orders"] });
    expect(o).toMatchObject({
      prefetch: 100,
      ordering: "queue",
      onFailure: "deadLetter",
      declare: false,
      reconnect: { minDelayMs: 1000, maxDelayMs: 30_000 },
    });
    expect(consumedQueues("mq", o)).toEqual(["orders"]);
  });

  it("binds a default queue named after the connector to an exchange", () => {
    const o = parse({ url: "amqps://broker/vh", exchange: "events", bindingKeys: ["a.*"] });
    expect(consumedQueues("mq", o)).toEqual(["fgconnect.mq"]);
  });

  it("refuses a config with nothing to consume, and a password without a user, without quoting it", () => {
    let error: unknown;
    try {
      parse({ url: "amqp://broker", password: "s3cret" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConnectorOptionsError);
    const text = (error as Error).message;
    expect(text).toContain("queues: give queues to consume");
    expect(text).toContain("username: a password needs a username");
    expect(text).not.toContain("s3cret");
  });

  it("refuses other URL schemes", () => {
    expect(() => parse({ url: "http://broker", queues: ["q"] })).toThrow(/amqp:\/\/host/);
  });
});
