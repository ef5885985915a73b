import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const cli = join(import.meta.dirname, "../dist/cli.js");
const dir = mkdtempSync(join(tmpdir(), "fgconnect-config-"));
const run = promisify(execFile);

const P = "0123456789abcdef0123456789abcdef";
const good = (over = "") => `
functiongraph:
  region: cn-north-4
  projectId: ${P}
connectors:
  ticks:
    type: cron
    schedules:
      - name: s
        schedule: "*/5 * * * * *"
routes:
  - from: ticks
    to: [hello]
    mode: sync
${over}`;

/** [name, file text, what the message must contain (the field's path), the line it is on]. */
const catalogue: [string, string, string, number?][] = [
  ["bad YAML", "connectors: [unclosed\n", "not valid YAML", 2],
  ["duplicate key", good().replace("routes:", "routes: []\nroutes:"), 'duplicate key "routes"', 12],
  ["empty file", "", "the file is empty"],
  ["only comments", "# nothing here yet\n\n", "the file is empty"],
  ["only a document marker", "---\n", "the file is empty"],
  [
    "alias bomb",
    `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
${good()}`,
    "aliases (*name) expand to more than",
  ],
  ["not a mapping", "- just\n- a list\n", "(top level)"],
  ["unknown top-level key", good("colour: blue"), 'unknown field "colour"', 15],
  [
    "unknown connector key",
    good().replace("type: cron", "type: cron\n    bogus: 1"),
    'connectors.ticks: unknown field "bogus"',
  ],
  [
    "unknown connector type",
    good().replace("type: cron", "type: carrier-pigeon"),
    "connectors.ticks.type",
  ],
  [
    "no connectors",
    good().replace(/connectors:[\s\S]*?routes:/, "connectors: {}\nroutes:"),
    "connectors",
  ],
  ["no routes", good().replace(/routes:[\s\S]*$/, "routes: []"), "routes"],
  [
    "route from unknown connector",
    good().replace("from: ticks", "from: tocks"),
    'routes[0].from: no connector named "tocks"',
    12,
  ],
  ["route without mode", good().replace("    mode: sync\n", ""), "routes[0].mode"],
  ["bad mode", good().replace("mode: sync", "mode: sometimes"), "routes[0].mode", 14],
  ["to is not a list", good().replace("to: [hello]", "to: hello"), "routes[0].to"],
  [
    "bad URN",
    good().replace("to: [hello]", "to: ['urn:fss:cn-north-4:short:function:default:hello:latest']"),
    "routes[0].to[0]: invalid function URN",
    13,
  ],
  ["bad function name", good().replace("to: [hello]", "to: ['9lives']"), "routes[0].to[0]"],
  [
    "bad cron expression",
    good().replace('"*/5 * * * * *"', '"*/5 * *"'),
    "connectors.ticks.schedules[0].schedule",
    10,
  ],
  [
    "bad time zone",
    good().replace(
      'schedule: "*/5 * * * * *"',
      'schedule: "*/5 * * * * *"\n        timezone: Mars/Base',
    ),
    "schedules[0].timezone",
  ],
  [
    "bad misfire policy",
    good().replace("type: cron", "type: cron\n    misfire: sometimes"),
    "connectors.ticks.misfire",
  ],
  [
    "missing env var",
    good().replace(`projectId: ${P}`, "projectId: ${FG_PROJECT_FOR_TEST}"),
    "environment variable FG_PROJECT_FOR_TEST is not set",
    4,
  ],
  ["bad project id", good().replace(P, "not-a-project"), "functiongraph.projectId"],
  ["no region nor endpoint", good().replace("  region: cn-north-4\n", ""), "functiongraph"],
  [
    "bad endpoint",
    good().replace("region: cn-north-4", "endpoint: not a url"),
    "functiongraph.endpoint",
  ],
  [
    "wrong type of port",
    good("admin:\n  port: nine"),
    'admin.port: expected number, got "nine"',
    16,
  ],
  ["port out of range", good("admin:\n  port: 70000"), "admin.port"],
  ["bad log level", good("log:\n  level: loud"), "log.level"],
  [
    "bad auth type",
    good().replace("projectId:", "auth: { type: magic }\n  projectId:"),
    "functiongraph.auth.type",
  ],
  [
    "token auth without token",
    good().replace("projectId:", "auth: { type: token }\n  projectId:"),
    "functiongraph.auth.token",
  ],
  [
    "bad filter operator",
    good().replace(
      "mode: sync",
      "mode: sync\n    filter: { attributes: { schedule: [{ begins-with: s }] } }",
    ),
    "routes[0].filter",
  ],
  [
    "negative retry attempts",
    good().replace("mode: sync", "mode: sync\n    delivery: { maxAttempts: 0 }"),
    "routes[0].delivery.maxAttempts",
  ],
  ["bad dead-letter type", good("deadLetter:\n  type: carrier-pigeon"), "deadLetter.type"],
  [
    "duplicate route names",
    good().replace("  - from: ticks", "  - name: r\n    from: ticks") +
      "  - name: r\n    from: ticks\n    to: [hello]\n    mode: async\n",
    'routes[1].name: routes[0] has the same name "r"',
    16,
  ],
  [
    "missing Kafka CA file",
    good().replace(
      "routes:",
      "  orders:\n    type: kafka\n    brokers: [127.0.0.1:9092]\n    groupId: g\n    topics: [t]\n    tls: { caFile: ./no-such-ca.pem }\nroutes:",
    ),
    "connectors.orders.tls.caFile: cannot read",
    16,
  ],
  [
    "missing Kafka client key file",
    good().replace(
      "routes:",
      "  orders:\n    type: kafka\n    brokers: [127.0.0.1:9092]\n    groupId: g\n    topics: [t]\n    tls:\n      certFile: ./no-such-cert.pem\n      keyFile: ./no-such-key.pem\nroutes:",
    ),
    "no-such-key.pem: no such file; give a readable PEM file",
    18,
  ],
  [
    "missing MQTT CA file",
    good().replace(
      "routes:",
      '  devices:\n    type: mqtt\n    url: mqtts://127.0.0.1:8883\n    topics: [{ filter: "a/#" }]\n    tls:\n      ca: ./no-such-ca.pem\nroutes:',
    ),
    "connectors.devices.tls.ca: cannot read",
    16,
  ],
  [
    "dead-letter directory under a file",
    good(`deadLetter: { type: file, path: ${join(dir, "a-file", "dead-letter.jsonl")} }`),
    `deadLetter.path: cannot create ${join(dir, "a-file", "dead-letter.jsonl")}: ${join(dir, "a-file")} is a file`,
    15,
  ],
  [
    "cron state file under a file",
    good().replace("type: cron", `type: cron\n    stateFile: ${join(dir, "a-file", "state.json")}`),
    "connectors.ticks.stateFile: cannot create",
    8,
  ],
  [
    "format the connector does not build",
    good().replace("mode: sync", "mode: sync\n    format: nope"),
    'routes[0].format: connector "ticks" has no format "nope"; its formats: timer',
    15,
  ],
  [
    "bad instance memory",
    good().replace("mode: sync", "mode: sync\n    delivery: { instanceMemoryMb: 100 }"),
    "routes[0].delivery.instanceMemoryMb",
    15,
  ],
];

// @platformatic/kafka runs from Node 22.22: refused below (the unit tests run again on 22 and 24).
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 22))
  catalogue.push([
    "Kafka client platformatic on this Node",
    good().replace(
      "routes:",
      "  orders:\n    type: kafka\n    brokers: [127.0.0.1:9092]\n    groupId: g\n    topics: [t]\n    client: platformatic\nroutes:",
    ),
    "connectors.orders.client: platformatic needs Node >= 22.22.0",
    16,
  ]);
writeFileSync(join(dir, "a-file"), "in the way\n");

/** `fgconnect validate -c file`: its exit code and output. */
const validate = (file: string, env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [cli, "validate", "-c", file], {
    env: { PATH: process.env.PATH, ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stderr: string; stdout: string }) => e,
  );

describe("broken configs", () => {
  it.each(catalogue)("%s → exit 2 naming the field", async (name, text, expected, line) => {
    const file = join(dir, `${name.replace(/\W+/g, "-")}.yaml`);
    writeFileSync(file, text);
    const err = await run(process.execPath, [cli, "validate", "-c", file], {
      env: { PATH: process.env.PATH },
    }).then(
      () => undefined,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(err, "validate should fail").toBeDefined();
    expect(err!.code, err!.stderr).toBe(2);
    expect(err!.stderr).toContain(expected);
    if (line !== undefined) expect(err!.stderr).toContain(`${file}:${line} `);
    expect(err!.stderr).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
  });

  it("reports every problem at once", async () => {
    const file = join(dir, "many.yaml");
    writeFileSync(
      file,
      good("admin:\n  port: nine\nlog:\n  level: loud")
        .replace("mode: sync", "mode: never")
        .replace("from: ticks", "from: tocks"),
    );
    const err = await run(process.execPath, [cli, "validate", "-c", file]).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain("4 problems");
    for (const field of ["routes[0].from", "routes[0].mode", "admin.port", "log.level"])
      expect(err.stderr).toContain(field);
  });

  it.each([
    ["NUL bytes", Buffer.from(`${good()}\0\0\0`), "not a text file: it holds NUL bytes", 15],
    [
      "invalid UTF-8",
      Buffer.concat([Buffer.from(good()), Buffer.from([0xc3, 0x28])]),
      "not a text file: it is not UTF-8",
      15,
    ],
  ])("a file with %s is not text → exit 2", async (name, bytes, expected, line) => {
    const file = join(dir, `binary-${name.replace(/\W+/g, "-")}.yaml`);
    writeFileSync(file, bytes);
    const err = await validate(file);
    expect(err.code, err.stderr).toBe(2);
    expect(err.stderr).toContain(`${file}:${line} (top level): ${expected}`);
  });

  it("accepts the good config", async () => {
    const file = join(dir, "good.yaml");
    writeFileSync(file, good());
    const { stdout } = await run(process.execPath, [cli, "validate", "-c", file]);
    expect(stdout).toContain("valid (1 connector(s), 1 route(s))");
  });
});

describe("secrets in the config", () => {
  const PW = "987654321";
  const withAuth = (auth: string) => good().replace("projectId:", `auth: ${auth}\n  projectId:`);
  const write = (name: string, text: string) => {
    const file = join(dir, `secret-${name}.yaml`);
    writeFileSync(file, text);
    return file;
  };

  it("a quoted ${VAR} stays text, so a password of digits is valid", async () => {
    const file = write(
      "quoted",
      withAuth('{ type: password, username: u, password: "${FG_PW}", domain: d }'),
    );
    const ok = await validate(file, { FG_PW: PW });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("an unquoted ${VAR} in a flow map is read", async () => {
    const file = write("flow", withAuth("{ type: token, token: ${FG_TOKEN} }"));
    const ok = await validate(file, { FG_TOKEN: "abc.def" });
    expect(ok.code, ok.stderr).toBe(0);
    const missing = await validate(file);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("functiongraph.auth.token: environment variable FG_TOKEN");
  });

  it("an unquoted ${VAR} read as a number says to quote it, without its value", async () => {
    const file = write(
      "unquoted",
      withAuth("{ type: password, username: u, password: ${FG_PW}, domain: d }"),
    );
    const err = await validate(file, { FG_PW: PW });
    expect(err.code).toBe(2);
    expect(err.stderr).toContain(
      'functiongraph.auth.password: expected string, got a number; quote the reference to keep it text: "${FG_PW}"',
    );
    expect(err.stderr).not.toContain(PW);
  });

  it.each([
    ["token", withAuth(`{ type: token, token: ${PW} }`), "functiongraph.auth.token"],
    [
      "Kafka SASL password",
      good().replace(
        "routes:",
        `  orders:\n    type: kafka\n    brokers: [127.0.0.1:9092]\n    groupId: g\n    topics: [t]\n    sasl: { mechanism: plain, username: u, password: ${PW} }\nroutes:`,
      ),
      "connectors.orders.sasl.password",
    ],
    [
      "Kafka SASL section",
      good().replace(
        "routes:",
        `  orders:\n    type: kafka\n    brokers: [127.0.0.1:9092]\n    groupId: g\n    topics: [t]\n    sasl: ${PW}\nroutes:`,
      ),
      "connectors.orders.sasl",
    ],
    [
      "MQTT password",
      good().replace(
        "routes:",
        `  devices:\n    type: mqtt\n    url: mqtt://127.0.0.1:1883\n    topics: [{ filter: "a/#" }]\n    username: u\n    password: ${PW}\nroutes:`,
      ),
      "connectors.devices.password",
    ],
    [
      "S3 webhook secret",
      good().replace(
        "routes:",
        `  bucket:\n    type: s3\n    bucket: photos\n    mode: notifications\n    notifications: { secret: ${PW} }\nroutes:`,
      ),
      "connectors.bucket.notifications.secret",
    ],
    [
      "S3 secret key",
      good().replace(
        "routes:",
        `  bucket:\n    type: s3\n    bucket: photos\n    credentials: { accessKeyId: ak, secretAccessKey: ${PW} }\nroutes:`,
      ),
      "connectors.bucket.credentials.secretAccessKey",
    ],
  ])("a %s of the wrong type is reported without its value", async (name, text, field) => {
    const err = await validate(write(name.replace(/\W+/g, "-"), text));
    expect(err.code, err.stderr).toBe(2);
    expect(err.stderr).toContain(`${field}: expected`);
    expect(err.stderr).not.toContain(PW);
  });

  it.each([
    [
      "FunctionGraph endpoint",
      good().replace(
        "region: cn-north-4",
        "endpoint: https://user:hunter2@functiongraph.cn-north-4.myhuaweicloud.com",
      ),
      "functiongraph.endpoint: holds credentials",
    ],
    [
      "S3 endpoint",
      good().replace(
        "routes:",
        "  bucket:\n    type: s3\n    bucket: photos\n    endpoint: http://ak:hunter2@127.0.0.1:9000\nroutes:",
      ),
      "connectors.bucket.endpoint: holds credentials",
    ],
    [
      "MQTT URL",
      good().replace(
        "routes:",
        '  devices:\n    type: mqtt\n    url: [mqtt://127.0.0.1:1883, "mqtt://u:hunter2@10.0.0.2:1883"]\n    topics: [{ filter: "a/#" }]\nroutes:',
      ),
      "connectors.devices.url[1]: holds credentials",
    ],
    [
      "Kafka broker",
      good().replace(
        "routes:",
        "  orders:\n    type: kafka\n    brokers: [u:hunter2@127.0.0.1:9092]\n    groupId: g\n    topics: [t]\nroutes:",
      ),
      "connectors.orders.brokers[0]: holds credentials",
    ],
  ])("credentials in the %s are refused without repeating them", async (name, text, expected) => {
    const err = await validate(write(name.replace(/\W+/g, "-"), text));
    expect(err.code, err.stderr).toBe(2);
    expect(err.stderr).toContain(expected);
    expect(err.stderr).not.toContain("hunter2");
  });
});
