import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/config/errors.js";
import { parseConfig } from "../src/config/load.js";

const P = "0123456789abcdef0123456789abcdef";
const config = (connector: string) => `
functiongraph: { region: cn-north-4, projectId: ${P} }
coordination: { type: redis, url: "redis://127.0.0.1:6379" }
connectors:
  src:
${connector}
routes: [{ from: src, to: [hello], mode: sync }]
`;
const cron = `    type: cron
    schedules: [{ name: s, schedule: "* * * * * *" }]`;
const s3 = `    type: s3
    bucket: inbox
    endpoint: http://127.0.0.1:9000
    region: r`;

function problems(text: string): string {
  try {
    parseConfig(text, "fgconnect.yaml", {});
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split("\n").slice(1).join("\n");
    throw error;
  }
  return "";
}

describe("a config with coordination", () => {
  it("accepts cron and a bucket checkpoint kept in the bucket, with the lease defaults", () => {
    expect(problems(config(cron))).toBe("");
    expect(problems(config(`${s3}\n    checkpoint: { store: bucket }`))).toBe("");
    const parsed = parseConfig(config(cron), "fgconnect.yaml", {});
    expect(parsed.coordination).toEqual({
      type: "redis",
      url: "redis://127.0.0.1:6379",
      keyPrefix: "fgconnect:",
      leaseMs: 10_000,
    });
  });

  it("refuses state only one machine can see, naming the field", () => {
    expect(problems(config(`${cron}\n    stateFile: ./state.json`))).toMatch(
      /connectors\.src\.stateFile: with coordination the cron state is kept in the coordination store/,
    );
    // Its default value, written out, is still a file on one machine.
    expect(problems(config(`${cron}\n    stateFile: .fgconnect/cron-state.json`))).toMatch(
      /fgconnect\.yaml:8 connectors\.src\.stateFile: with coordination the cron state is kept in the coordination store/,
    );
    expect(problems(config(s3))).toMatch(
      /connectors\.src\.checkpoint\.store: with coordination a local checkpoint file is seen by one replica only/,
    );
  });

  it("needs no shared checkpoint for S3 notifications", () => {
    const webhook = `${s3}\n    mode: notifications\n    notifications: { secret: "0123456789abcdef0123" }`;
    expect(problems(config(webhook))).toBe("");
  });
});
