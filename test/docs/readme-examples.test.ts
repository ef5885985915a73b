import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

// Every TypeScript block of every README is type-checked against the built packages, as a user
// of the published packages would compile it; the ones that need no server also run.
const root = resolve(import.meta.dirname, "../..");
// Inside the workspace, so `@fgconnect/*` resolves to the packages (test/node_modules).
const dir = join(import.meta.dirname, ".snippets");

/** README blocks that run as they are (no broker, no port of their own). */
const RUNNABLE = new Set(["packages/emulator/README.md#1"]);

interface Snippet {
  id: string;
  file: string;
  code: string;
}

function snippets(): Snippet[] {
  const readmes = ["README.md", "apps/runner/README.md"].concat(
    readdirSync(join(root, "packages")).map((p) => `packages/${p}/README.md`),
  );
  return readmes.flatMap((readme) => {
    let text: string;
    try {
      text = readFileSync(join(root, readme), "utf8");
    } catch {
      return [];
    }
    return [...text.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)].map((m, i) => ({
      id: `${readme}#${i + 1}`,
      file: `${readme.replace(/\/README\.md$|\.md$/, "").replaceAll("/", "-")}-${i + 1}.ts`,
      code: m[1]!,
    }));
  });
}

const all = snippets();
mkdirSync(dir, { recursive: true });
for (const s of all) writeFileSync(join(dir, s.file), s.code);
writeFileSync(
  join(dir, "tsconfig.json"),
  JSON.stringify({
    extends: "../../../tsconfig.base.json",
    compilerOptions: { noEmit: true, lib: ["ES2023", "DOM"] },
    include: ["*.ts"],
  }),
);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("README examples", () => {
  it("every package README that embeds the package has a TypeScript example", () => {
    const withExample = new Set(all.map((s) => s.id.split("#")[0]));
    for (const pkg of ["core", "cron", "emulator", "http", "kafka", "mqtt", "rabbitmq", "s3"])
      expect(withExample, pkg).toContain(`packages/${pkg}/README.md`);
    expect(withExample).toContain("apps/runner/README.md");
  });

  it("type-check against the built packages", async () => {
    const tsc = join(root, "node_modules/.bin/tsc");
    const result = await promisify(execFile)(tsc, ["-p", join(dir, "tsconfig.json")]).then(
      () => "",
      (err: { stdout: string }) => err.stdout,
    );
    // Name the README each error comes from.
    const named = result.replace(/^(?:\S*\/)?([^/\s]+\.ts)\((\d+),(\d+)\)/gm, (m, f, l, c) => {
      const s = all.find((x) => x.file === f);
      return s ? `${s.id}, line ${l} of the block, column ${c}` : m;
    });
    expect(named).toBe("");
  });

  for (const s of all.filter((x) => RUNNABLE.has(x.id)))
    it(`${s.id} runs`, async () => {
      await import(join(dir, s.file));
    });
});
