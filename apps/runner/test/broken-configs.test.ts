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
  ["duplicate key", good().replace("routes:", "routes: []\nroutes:"), "not valid YAML"],
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
];

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
      good("admin:\n  port: nine\nlog:\n  level: loud").replace("mode: sync", "mode: never"),
    );
    const err = await run(process.execPath, [cli, "validate", "-c", file]).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain("3 problems");
    for (const field of ["routes[0].mode", "admin.port", "log.level"])
      expect(err.stderr).toContain(field);
  });

  it("accepts the good config", async () => {
    const file = join(dir, "good.yaml");
    writeFileSync(file, good());
    const { stdout } = await run(process.execPath, [cli, "validate", "-c", file]);
    expect(stdout).toContain("valid (1 connector(s), 1 route(s))");
  });
});
