// The reference `before` of bench/tracing.mjs: this checkout's core built with no tracing code
// (src/engine/tracing.ts replaced by empty functions), so the comparison is with the same engine.
// Prints the dist directory to pass as tracing.mjs's third argument:
//   node bench/tracing.mjs 20000 10 "$(node bench/lib/untraced-core.mjs)"
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dirname, "../..");
const core = join(repo, "packages/core");
const out = mkdtempSync(join(tmpdir(), "fgconnect-untraced-core-"));
cpSync(join(repo, "tsconfig.base.json"), join(out, "tsconfig.base.json"));
const copy = join(out, "packages/core");
for (const f of ["src", "package.json", "tsconfig.build.json"])
  cpSync(join(core, f), join(copy, f), { recursive: true });
symlinkSync(join(core, "node_modules"), join(copy, "node_modules"));

writeFileSync(
  join(copy, "src/engine/tracing.ts"),
  `import type { InvokeOptions } from "../client/types.js";
export type AttemptOutcome = "success" | "partial" | "function-error" | "error" | "aborted";
export type TracedTarget = undefined;
export interface BatchTrace { readonly span: undefined }
const OFF: BatchTrace = { span: undefined };
export const tracedTarget = (_r: string, _u: string, _m: string): TracedTarget => undefined;
export const startBatch = (_t: TracedTarget, _r: readonly unknown[]): BatchTrace => OFF;
export const noteDelivered = (_b: BatchTrace, _n: number): void => {};
export const noteDeadLettered = (_b: BatchTrace, _n: number): void => {};
export const endBatch = (_b: BatchTrace): void => {};
export const batchEvent = (_b: BatchTrace, _n: string, _a: object): void => {};
export const startAttempt = (_b: BatchTrace, _t: TracedTarget, _a: number, _n: number) => undefined;
export const withTraceHeaders = (_s: undefined, o: InvokeOptions): InvokeOptions => o;
export const endAttempt = (_s: undefined, ..._rest: unknown[]): void => {};
`,
);
execFileSync(
  join(repo, "node_modules/.bin/tsc"),
  ["-p", join(copy, "tsconfig.build.json"), "--typeRoots", join(repo, "node_modules/@types")],
  { stdio: ["ignore", "ignore", "inherit"] },
);
if (!existsSync(join(copy, "dist/index.js"))) throw new Error(`no build in ${copy}/dist`);
console.log(join(copy, "dist"));
