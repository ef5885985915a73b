import { parseConnectorOptions } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { brokerLabel, connectArgs } from "../src/connect-options.js";
import { rabbitmqConnector } from "../src/definition.js";

const parse = (o: unknown) => parseConnectorOptions(rabbitmqConnector, "mq", o);

describe("connect arguments", () => {
  it("takes credentials and vhost from the URL, never showing the password in labels", () => {
    const o = parse({ url: "amqp://app:pa%40ss@broker:5673/shop", queues: ["q"] });
    const args = connectArgs("amqp://app:pa%40ss@broker:5673/shop", o, "fgconnect-mq-a");
    expect(args.url).toMatchObject({
      protocol: "amqp",
      hostname: "broker",
      port: 5673,
      username: "app",
      password: "pa@ss",
      vhost: "shop",
      heartbeat: 30,
    });
    expect(args.socket.clientProperties).toEqual({ connection_name: "fgconnect-mq-a" });
    expect(brokerLabel(o)).toBe("amqp://broker:5673/shop");
  });

  it("lets username, password and vhost options override the URL", () => {
    const o = parse({
      url: "amqps://broker",
      username: "u",
      password: "p",
      vhost: "/",
      queues: ["q"],
      tls: { rejectUnauthorized: false },
    });
    const args = connectArgs("amqps://broker", o, "n");
    expect(args.url).toMatchObject({
      protocol: "amqps",
      port: 5671,
      username: "u",
      password: "p",
      vhost: "/",
    });
    expect(args.socket.rejectUnauthorized).toBe(false);
  });
});
