import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Starts bench/lib/emulator-server.mjs; resolves with its address and a CPU-time probe. */
export async function startEmulatorProcess() {
  const child = spawn(
    process.execPath,
    [new URL("./emulator-server.mjs", import.meta.url).pathname],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve) => lines.once("line", (l) => resolve(JSON.parse(l))));
  const info = await next();
  return {
    ...info,
    /** CPU microseconds the emulator process has used so far. */
    async cpuMicros() {
      child.stdin.write("cpu\n");
      return (await next()).cpuMicros;
    },
    close() {
      child.stdin.end();
      return new Promise((resolve) => child.once("exit", resolve));
    },
  };
}
