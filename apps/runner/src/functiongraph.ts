import { resolve } from "node:path";
import {
  authFromConfig,
  createClient,
  type FunctionGraphClient,
  type Logger,
} from "@fgconnect/core";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { Config } from "./config/schema.js";

export interface FunctionGraphConnection {
  client: FunctionGraphClient;
  /** Present when the config has an `emulator` section: the client then talks to it. */
  emulator?: Emulator;
  close(): Promise<void>;
}

/**
 * The client the config describes, and the embedded emulator it points at, if any. `logger`
 * hears about credentials that could not be refreshed.
 */
export async function connectFunctionGraph(
  config: Config,
  configDir: string,
  emulatorLog: (line: string) => void,
  logger?: Logger,
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
      auth: authFromConfig(fg.auth, { region: fg.region, baseDir: configDir, logger }),
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
