/** The fgconnect daemon config for an S3 connector delivering to the test's emulator. */
import { join } from "node:path";
import type { Emulator } from "@fgconnect/emulator";
import { functiongraphOf } from "../harness/emulator-section.js";
import type { S3ServerInfo } from "./global-setup.js";

export function s3DaemonConfig(options: {
  emulator: Emulator;
  server: S3ServerInfo;
  bucket: string;
  dir: string;
  fn: string;
  connector?: Record<string, unknown>;
  route?: Record<string, unknown>;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): string {
  const { emulator, server, dir } = options;
  const config = {
    functiongraph: functiongraphOf(emulator),
    connectors: {
      files: {
        type: "s3",
        bucket: options.bucket,
        endpoint: server.endpoint,
        region: server.region,
        pathStyle: true,
        credentials: options.credentials ?? {
          accessKeyId: server.accessKeyId,
          secretAccessKey: server.secretAccessKey,
        },
        poll: { intervalMs: 200 },
        checkpoint: { path: join(dir, "files.checkpoint") },
        startup: { retryMaxMs: 500 },
        ...options.connector,
      },
    },
    routes: [{ from: "files", to: [emulator.urnFor(options.fn)], mode: "sync", ...options.route }],
    deadLetter: { type: "file", path: join(dir, "dead-letter.jsonl"), fsync: false },
    admin: { port: 0 },
    log: { level: "info", pretty: false },
    shutdown: { deadlineMs: 5000 },
  };
  return JSON.stringify(config, null, 2);
}
