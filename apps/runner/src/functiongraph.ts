import { resolve } from "node:path";
import { createClient, type FunctionGraphClient } from "@fgconnect/core";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { createAuth } from "./auth.js";
import type { Config } from "./config/schema.js";

export interface FunctionGraphConnection {
  client: FunctionGraphClient;
  /** Present when the config has an `emulator` section: the client then talks to it. */
  emulator?: Emulator;
  close(): Promise<void>;
}

/** The client the config describes, and the embedded emulator it points at, if any. */
export async function connectFunctionGraph(
  config: Config,
  configDir: string,
  emulatorLog: (line: string) => void,
): Promise<FunctionGraphConnection> {
  const emulator = config.emulator
    ? await startEmulator({
        functionsDir: resolve(configDir, config.emulator.functions),
        port: config.emulator.port,
        // In-process and on loopback: nothing to authenticate.
        auth: false,
        log: emulatorLog,
      })
    : undefined;
  const fg = config.functiongraph;
  try {
    const client = createClient({
      endpoint: fg.endpoint ?? emulator?.url,
      region: fg.region ?? (fg.endpoint ? undefined : emulator?.region),
      // The schema requires projectId unless there is an emulator.
      projectId: fg.projectId ?? emulator!.projectId,
      auth: createAuth(fg.auth, fg.region),
      timeoutMs: fg.timeoutMs,
      connections: fg.connections,
    });
    return {
      client,
      emulator,
      async close() {
        await client.close();
        await emulator?.close();
      },
    };
  } catch (err) {
    await emulator?.close();
    throw err;
  }
}
