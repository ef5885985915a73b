// An emulator with a no-op function, in its own process so that it does not share the load
// generator's event loop. Prints its URL and project as one JSON line; answers "cpu" on stdin
// with its CPU time in microseconds.
import { startEmulator } from "@fgconnect/emulator";

const emu = await startEmulator({
  log: false,
  auth: false,
  maxRecords: 1,
  functions: { noop: async () => "" },
});
process.stdout.write(
  `${JSON.stringify({ url: emu.url, projectId: emu.projectId, region: emu.region })}\n`,
);
process.stdin.on("data", () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`);
});
process.stdin.on("end", () => emu.close().then(() => process.exit(0)));
