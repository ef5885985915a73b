// Packs every publishable workspace package and checks the tarball holds what its `exports`,
// `bin` and README promise: built JS, .d.ts, README.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dirs = ["packages", "apps"].flatMap((d) =>
  readdirSync(d, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(d, e.name, "package.json")))
    .map((e) => join(d, e.name)),
);
const out = mkdtempSync(join(tmpdir(), "fgconnect-pack-"));
let failures = 0;
for (const dir of dirs) {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (manifest.private) continue;
  const report = JSON.parse(
    execFileSync("pnpm", ["pack", "--json", "--pack-destination", out], {
      cwd: dir,
      encoding: "utf8",
    }),
  );
  const files = new Set(report.files.map((f) => f.path));
  const wanted = new Set(["README.md"]);
  for (const entry of Object.values(manifest.exports ?? {})) {
    if (typeof entry === "string") wanted.add(entry.replace(/^\.\//, ""));
    else for (const target of Object.values(entry)) wanted.add(target.replace(/^\.\//, ""));
  }
  for (const target of Object.values(
    typeof manifest.bin === "string" ? { x: manifest.bin } : (manifest.bin ?? {}),
  )) {
    wanted.add(target.replace(/^\.\//, ""));
  }
  const missing = [...wanted].filter((f) => !files.has(f));
  const hasDts = [...files].some((f) => f.endsWith(".d.ts"));
  if (missing.length > 0 || !hasDts) {
    failures++;
    console.error(`${manifest.name}: pack lacks ${missing.join(", ") || ".d.ts files"}`);
  } else {
    console.log(`${manifest.name}: ${files.size} files, exports, types and README present`);
  }
}
rmSync(out, { recursive: true, force: true });
if (failures > 0) process.exit(1);
