import { describe, expect, it } from "vitest";
import {
  assignmentOf,
  baseOptions,
  kafkaErrorType,
  producedMessage,
  rawMessage,
  withType,
} from "../src/client/platformatic-mapping.js";
import { clientFor } from "../src/client/select.js";
import { groupErrorAction } from "../src/client/types.js";
import { clientRefusal, kafkaOptionsSchema } from "../src/options.js";

const connection = kafkaOptionsSchema.parse({ brokers: ["b:9092"], topics: ["t"], groupId: "g" });

describe("@platformatic/kafka mapping", () => {
  it("reads a message as the connector's RawMessage: decimal offsets and timestamps, header names as text", () => {
    const message = {
      topic: "t",
      partition: 2,
      offset: 9_007_199_254_740_993n,
      timestamp: 1_700_000_000_123n,
      key: undefined,
      value: Buffer.from("v"),
      headers: new Map([[Buffer.from("trace"), Buffer.from("t-1")]]),
    };
    const raw = rawMessage(message as never);
    expect(raw.offset).toBe("9007199254740993");
    expect(raw.timestamp).toBe("1700000000123");
    expect(raw.key).toBeNull();
    expect(raw.value?.toString()).toBe("v");
    expect(Object.keys(raw.headers!)).toEqual(["trace"]);
    expect((raw.headers!.trace as Buffer).toString()).toBe("t-1");
  });

  it("produces header names as Buffers and leaves out a null key or value", () => {
    const m = producedMessage("dlq", {
      key: null,
      value: null,
      headers: { "fgconnect-reason": Buffer.from("retries exhausted") },
    });
    expect(m.topic).toBe("dlq");
    expect("key" in m).toBe(false);
    expect("value" in m).toBe(false);
    const [name, value] = [...(m.headers as Map<Buffer, Buffer>)][0]!;
    expect(Buffer.isBuffer(name)).toBe(true);
    expect(name!.toString()).toBe("fgconnect-reason");
    expect(value!.toString()).toBe("retries exhausted");
  });

  it("maps a join's assignments to topic → partitions", () => {
    expect(
      assignmentOf([
        { topic: "a", partitions: [0, 2] },
        { topic: "b", partitions: [1] },
      ]),
    ).toEqual({ a: [0, 2], b: [1] });
    expect(assignmentOf(undefined)).toEqual({});
  });

  it("finds the Kafka code under retry wrappers, so the connector tells a group error apart", () => {
    const protocol = Object.assign(new Error("rebalancing"), { apiId: "REBALANCE_IN_PROGRESS" });
    const wrapped = Object.assign(new Error("commit failed 3 times."), {
      errors: [new Error("timeout"), { cause: protocol }],
    });
    expect(kafkaErrorType(wrapped)).toBe("REBALANCE_IN_PROGRESS");
    expect(groupErrorAction(withType(wrapped))).toBe("drain");
    const gone = Object.assign(new Error("x"), { apiId: "UNKNOWN_MEMBER_ID" });
    expect(groupErrorAction(withType(gone))).toBe("rejoin");
    expect(kafkaErrorType(new Error("ECONNREFUSED"))).toBeUndefined();
    expect(groupErrorAction(withType(new Error("ECONNREFUSED")))).toBeUndefined();
  });

  it("connects with the connector's brokers, timeouts, TLS and SASL (mechanism in the library's case)", () => {
    const o = baseOptions({
      ...connection,
      tls: true,
      sasl: { mechanism: "scram-sha-512", username: "u", password: "p" },
    });
    expect(o).toMatchObject({
      clientId: "fgconnect",
      bootstrapBrokers: ["b:9092"],
      connectTimeout: connection.connectionTimeoutMs,
      timeout: connection.requestTimeoutMs,
      tls: {},
      sasl: { mechanism: "SCRAM-SHA-512", username: "u", password: "p" },
    });
    expect(baseOptions(connection)).not.toHaveProperty("tls");
    expect(baseOptions(connection)).not.toHaveProperty("sasl");
  });
});

describe("the client option", () => {
  it("defaults to kafkajs and picks each adapter by name", () => {
    expect(connection.client).toBe("kafkajs");
    expect(clientFor("kafkajs").name).toBe("createKafkajsClient");
    expect(clientFor("platformatic").name).toBe("createPlatformaticClient");
  });

  it("refuses platformatic below Node 22.22, naming the option", () => {
    expect(clientRefusal("platformatic", "20.19.5")).toMatch(
      /^platformatic needs Node >= 22\.22\.0 \(this is Node 20\.19\.5\)/,
    );
    expect(clientRefusal("platformatic", "22.12.0")).toMatch(/Node >= 22\.22\.0/);
    expect(clientRefusal("platformatic", "22.22.0")).toBeUndefined();
    expect(clientRefusal("platformatic", "24.1.0")).toBeUndefined();
    expect(clientRefusal("kafkajs", "20.19.5")).toBeUndefined();
  });

  it("reports the refusal at the client field when this Node is too old", () => {
    const r = kafkaOptionsSchema.safeParse({
      brokers: ["b:9092"],
      topics: ["t"],
      groupId: "g",
      client: "platformatic",
    });
    const tooOld = clientRefusal("platformatic", process.versions.node) !== undefined;
    expect(r.success).toBe(!tooOld);
    if (tooOld) expect(r.error!.issues[0]!.path).toEqual(["client"]);
  });
});

describe("errors of retried calls", () => {
  it("say what the last attempt failed on", () => {
    const refused = new Error("SASL SCRAM SHA256 authentication failed");
    const wrapped = Object.assign(new Error("metadata failed 3 times."), {
      errors: [new Error("timeout"), { cause: refused }],
    });
    expect((withType(wrapped) as Error).message).toBe(
      "metadata failed 3 times: SASL SCRAM SHA256 authentication failed",
    );
  });
});
