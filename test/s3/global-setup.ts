import type { TestProject } from "vitest/node";
import { type S3Server, startS3Mock, startS3Proxy } from "../harness/s3-server.js";

export type S3ServerInfo = Omit<S3Server, "stop">;

declare module "vitest" {
  export interface ProvidedContext {
    /** S3Proxy (transient backend, SigV4 credentials checked): the server most tests use. */
    s3proxy: S3ServerInfo;
    /** S3Mock: for object tagging, which S3Proxy does not implement. */
    s3mock: S3ServerInfo;
  }
}

let servers: S3Server[] = [];

export async function setup(project: TestProject): Promise<void> {
  const started = await Promise.allSettled([startS3Proxy(), startS3Mock()]);
  servers = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  const [proxy, mock] = servers as [S3Server, S3Server];
  // Only the data crosses to the test workers: functions (stop, restart) cannot.
  const info = ({
    kind,
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
  }: S3Server): S3ServerInfo => ({
    kind,
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
  });
  project.provide("s3proxy", info(proxy));
  project.provide("s3mock", info(mock));
}

export async function teardown(): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
}
