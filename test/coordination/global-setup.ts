import type { TestProject } from "vitest/node";
import { type S3Server, startS3Proxy } from "../harness/s3-server.js";

export type S3ServerInfo = Omit<S3Server, "stop">;

declare module "vitest" {
  export interface ProvidedContext {
    s3proxy: S3ServerInfo;
  }
}

let server: S3Server | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startS3Proxy();
  const { stop: _stop, ...info } = server;
  project.provide("s3proxy", info);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
