import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configJsonSchema } from "../src/config/json-schema.js";

const root = resolve(import.meta.dirname, "../../..");
const shipped = resolve(import.meta.dirname, "../schema/fgconnect.schema.json");

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(shipped, "utf8")));

/** The errors an editor lists: if/then's own "must match then" echoes the one inside it. */
function errors(config: unknown): ErrorObject[] {
  if (validate(config)) return [];
  return validate.errors!.filter((e) => e.keyword !== "if");
}

/** Full configs (with connectors and routes) in the repository's READMEs' YAML blocks. */
function readmeConfigs(): { where: string; text: string }[] {
  const readmes = ["README.md", "apps/runner/README.md"].concat(
    readdirSync(join(root, "packages")).map((p) => `packages/${p}/README.md`),
  );
  return readmes.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(join(root, file), "utf8");
    } catch {
      return [];
    }
    return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => ({ where: file, text: m[1]! }))
      .filter((b) => /^connectors:/m.test(b.text) && /^routes:/m.test(b.text));
  });
}

describe("the config's JSON Schema", () => {
  it("ships as schema/fgconnect.schema.json, as `fgconnect schema` builds it", () => {
    expect(
      JSON.parse(readFileSync(shipped, "utf8")),
      "stale: run node scripts/config-schema.mjs",
    ).toEqual(configJsonSchema());
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, "../package.json"), "utf8"));
    expect(pkg.files).toContain("schema");
    expect(configJsonSchema().$id).toBe(
      `https://unpkg.com/@fgconnect/runner@${pkg.version}/schema/fgconnect.schema.json`,
    );
  });

  it("accepts the bundled example and the READMEs' configs as an editor reads them", () => {
    const configs = readmeConfigs();
    expect(configs.map((c) => c.where)).toContain("README.md");
    configs.push({
      where: "examples/fgconnect.yaml",
      text: readFileSync(resolve(import.meta.dirname, "../examples/fgconnect.yaml"), "utf8"),
    });
    for (const { where, text } of configs) expect(errors(parse(text)), where).toEqual([]);
  });

  it("accepts ${VAR} wherever the loader interpolates, and still checks plain values", () => {
    const base = {
      functiongraph: { region: "cn-north-4", projectId: "${FG_PROJECT_ID}" },
      connectors: {
        q: { type: "rabbitmq", url: "amqp://${MQ_HOST}:5672", queues: ["a"], prefetch: "${N}" },
      },
      routes: [{ from: "q", to: ["hello"], mode: "${MODE:-sync}" }],
      admin: { port: "${PORT:-9464}", enabled: "${ADMIN}" },
    };
    expect(errors(base)).toEqual([]);
    const memory = {
      ...base,
      routes: [{ ...base.routes[0], delivery: { instanceMemoryMb: 300 } }],
    };
    expect(errors(memory).map((e) => e.params)).toContainEqual({
      allowedValues: [
        128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096, 8192, 10240,
      ],
    });
    const fromEnv = {
      ...memory,
      routes: [{ ...base.routes[0], delivery: { instanceMemoryMb: "${MEM}" } }],
    };
    expect(errors(fromEnv)).toEqual([]);
    const bad = errors({ ...base, admin: { port: "9464x" } });
    expect(bad.map((e) => e.instancePath)).toEqual(["/admin/port", "/admin/port", "/admin/port"]);
  });

  it("reports a mistake in a connector once, not once per connector type", () => {
    const config = (connector: object) => ({
      emulator: { functions: "./functions" },
      connectors: { orders: connector },
      routes: [{ from: "orders", to: ["hello"], mode: "sync" }],
    });
    const typo = errors(
      config({ type: "kafka", brokers: ["k:9092"], topics: ["t"], groupId: "g", startfrom: 1 }),
    );
    expect(typo).toHaveLength(1);
    expect(typo[0]).toMatchObject({
      instancePath: "/connectors/orders",
      keyword: "additionalProperties",
      params: { additionalProperty: "startfrom" },
    });
    const unknownType = errors(config({ type: "kafak", brokers: ["k:9092"] }));
    expect(unknownType).toHaveLength(1);
    expect(unknownType[0]).toMatchObject({
      instancePath: "/connectors/orders/type",
      keyword: "enum",
    });
  });
});
