/**
 * A server binary run by a test as its own child process on a port picked here: started until
 * it prints that it is ready, stopped with SIGTERM (so it saves its state) and started again
 * with the same arguments, and never left running after the test run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ChildServerSpec {
  /** The binary, also the name errors give it. */
  command: string;
  args: readonly string[];
  /** The stream on which the server says it is ready, and what it says. */
  readyOn: "stdout" | "stderr";
  ready: RegExp;
}

export class ChildServer {
  private proc: ChildProcess | undefined;

  constructor(private readonly spec: ChildServerSpec) {
    process.once("exit", () => this.proc?.kill("SIGKILL"));
  }

  /** Starts the server; resolves once it printed `ready`, rejects if it exits first. */
  start(): Promise<void> {
    const { command, args, readyOn, ready } = this.spec;
    return new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
      this.proc = child;
      const stream = child[readyOn]!;
      let log = "";
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (ready.test(log)) {
          stream.off("data", onData);
          child.off("exit", onExit);
          stream.resume();
          resolve();
        }
      };
      const onExit = (code: number | null) =>
        reject(new Error(`${command} exited (${code}) at start:\n${log}`));
      stream.on("data", onData);
      child[readyOn === "stdout" ? "stderr" : "stdout"]!.resume();
      child.once("exit", onExit);
      child.once("error", reject);
    });
  }

  /** SIGTERM, and resolves once the server exited. */
  async stop(): Promise<void> {
    const child = this.proc;
    this.proc = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }
}
