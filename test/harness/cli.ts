/**
 * The built `fgconnect` CLI as a child process: run a command to its end, or start one to
 * watch (and kill) it midway.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { CLI } from "./daemon.js";

export interface CliResult {
  code: number | string;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) and the output. */
  done: Promise<CliResult>;
}

export function startCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<CliResult>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code: code ?? signal ?? -1, stdout, stderr })),
  );
  return { child, done };
}

/** Runs `fgconnect <args>` in `cwd` to its end. */
export function runCli(args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, cwd, env).done;
}
