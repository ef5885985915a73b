import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseConfig } from "@fgconnect/runner";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const deploy = resolve(import.meta.dirname, "../../deploy");
const k8s = join(deploy, "kubernetes");

interface Container {
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Workload {
  kind: string;
  metadata: { name: string };
  spec: {
    replicas: number;
    template: {
      metadata: { annotations?: Record<string, string> };
      spec: { terminationGracePeriodSeconds?: number; containers: Container[] };
    };
  };
}

function manifests(dir: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml" && f !== "fgconnect.yaml")
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJS()));
}

/** The daemon's config as the pod would load it, with every `${VAR}` the workload sets. */
function podConfig(file: string, container: Container) {
  const env: NodeJS.ProcessEnv = {};
  for (const e of container.env ?? []) env[e.name] = e.value ?? `from-${e.name.toLowerCase()}`;
  // Values that must have a shape to pass validation; the real ones come from the Secret.
  env.FG_REGION = "cn-north-4";
  env.FG_PROJECT_ID = "0123456789abcdef0123456789abcdef";
  env.FGCONNECT_COORDINATION_URL = "redis://redis:6379";
  env.KAFKA_BROKERS = "kafka:9092";
  return parseConfig(readFileSync(file, "utf8"), file, env);
}

const dockerfile = readFileSync(join(deploy, "Dockerfile"), "utf8");
const variants = [
  { name: "Deployment (base)", dir: join(k8s, "base"), kind: "Deployment" },
  { name: "StatefulSet overlay", dir: join(k8s, "overlays/statefulset"), kind: "StatefulSet" },
];

describe("deploy/ agrees with the daemon", () => {
  for (const variant of variants) {
    describe(variant.name, () => {
      const workload = manifests(variant.dir).find(
        (m) => m.kind === variant.kind,
      ) as unknown as Workload;
      const pod = workload.spec.template;
      const [container] = pod.spec.containers;
      const config = podConfig(join(variant.dir, "fgconnect.yaml"), container!);

      it("runs three replicas of the image's command on the mounted config", () => {
        expect(workload.spec.replicas).toBe(3);
        const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
        expect(container!.args).toEqual(cmd);
        const configFile = cmd[cmd.indexOf("-c") + 1]!;
        const mounts = container!.volumeMounts ?? [];
        expect(mounts.some((m) => configFile.startsWith(`${m.mountPath}/`))).toBe(true);
      });

      it("probes /healthz and /readyz on the admin port the config listens on", () => {
        const admin = container!.ports!.find((p) => p.name === "admin")!;
        expect(admin.containerPort).toBe(config.admin.port);
        expect(container!.livenessProbe!.httpGet).toEqual({ path: "/healthz", port: "admin" });
        expect(container!.readinessProbe!.httpGet).toEqual({ path: "/readyz", port: "admin" });
        expect(pod.metadata.annotations?.["prometheus.io/port"]).toBe(String(config.admin.port));
        expect(pod.metadata.annotations?.["prometheus.io/path"]).toBe("/metrics");
        // The admin server must listen beyond loopback inside a pod.
        expect(container!.env).toContainEqual({ name: "FGCONNECT_ADMIN_HOST", value: "0.0.0.0" });
      });

      it("gives the drain more time than its deadline before the kubelet kills", () => {
        const graceMs = (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
        expect(graceMs).toBeGreaterThan(config.shutdown.deadlineMs);
      });

      it("sets resource requests", () => {
        expect(container!.resources?.requests?.cpu).toMatch(/^\d+m?$/);
        expect(container!.resources?.requests?.memory).toMatch(/^\d+[MG]i$/);
        expect(container!.resources?.limits?.memory).toMatch(/^\d+[MG]i$/);
      });

      it("keeps credentials in Secrets, never inline", () => {
        for (const e of container!.env ?? []) {
          if (/AK|SK|TOKEN|PASSWORD|URL/.test(e.name) && e.name !== "FGCONNECT_ADMIN_HOST")
            expect(e.valueFrom, e.name).toBeDefined();
        }
      });
    });
  }

  it("builds the image from the same bundle script the bundle test runs", () => {
    const out = /node scripts\/bundle\.mjs (\S+)/.exec(dockerfile)?.[1];
    expect(out).toBeDefined();
    expect(dockerfile).toMatch(new RegExp(`COPY --from=build ${out} ${out}`));
    const runner = JSON.parse(
      readFileSync(resolve(import.meta.dirname, "../../apps/runner/package.json"), "utf8"),
    ) as { bin: Record<string, string> };
    const bin = runner.bin.fgconnect!.replace(/^\.\//, "");
    expect(dockerfile).toContain(`ENTRYPOINT ["node", "${out}/${bin}"]`);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
