import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { s3DaemonConfig } from "./daemon.js";
import { createBucket, DeliveriesByBucket, putObjects, s3Client, waitFor } from "./helpers.js";

const server = inject("s3proxy");
const client = s3Client(server);
let emulator: Emulator;
const deliveries = new DeliveriesByBucket();

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
        deliveries.add(event);
        return { ok: true };
      },
    },
    auth: false,
    log: false,
  });
});
afterAll(async () => {
  await emulator.close();
});

async function stop(daemon: DaemonProcess): Promise<void> {
  daemon.child.kill("SIGTERM");
  expect(await daemon.exited).toBe(0);
}

/** Lines above debug (pino levels: 30 info, 40 warn, 50 error). */
const loud = (daemon: DaemonProcess, connector = "files") =>
  daemon.lines.filter((l) => l.level >= 30 && l.connector === connector);

describe("a checkpoint that cannot be used as it is", () => {
  it("a corrupt checkpoint file: one error line naming it, what is wrong and what to do; polling resumes once it is removed", async () => {
    const bucket = await createBucket(client, "corrupt");
    await putObjects(client, bucket, 3, (i) => `in/${i}.txt`);
    const dir = workDir("fgc-s3-");
    const checkpoint = join(dir, "files.checkpoint");
    writeFileSync(checkpoint, "key\tetag\nsomething else entirely\n");
    const daemon = await startRunningDaemon(
      dir,
      s3DaemonConfig({ emulator, server, bucket, dir, fn: "sink" }),
    );
    await waitFor(
      () =>
        daemon.lines.filter((l) => l.msg === "S3 source still unavailable; retrying").length >= 2,
      15_000,
      "two more attempts",
    );
    const problems = loud(daemon).filter((l) => l.level >= 40);
    expect(problems).toEqual([
      expect.objectContaining({
        level: 50,
        msg: "S3 checkpoint cannot be used; polling waits until it is fixed",
        checkpoint,
        code: "CHECKPOINT_INVALID",
        err: `checkpoint ${checkpoint} cannot be used: not a checkpoint file (bad header)`,
        hint: expect.stringContaining("delete the checkpoint to start over"),
      }),
    ]);
    expect(daemon.lines.some((l) => l.msg === "S3 bucket unavailable; retrying")).toBe(false);
    const ready = await fetch(`${daemon.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain(`checkpoint ${checkpoint} cannot be used`);
    expect(deliveries.in(bucket)).toHaveLength(0);

    rmSync(checkpoint);
    await waitFor(() => deliveries.in(bucket).length === 3, 15_000, "three deliveries");
    expect(loud(daemon).filter((l) => l.msg === "S3 checkpoint usable again")).toHaveLength(1);
    await stop(daemon);
  });

  it("a checkpoint object cut short: one warning with what was recovered; only the objects after it come again", async () => {
    const bucket = await createBucket(client, "cut");
    await putObjects(client, bucket, 6, (i) => `in/${i}.txt`);
    const dir = workDir("fgc-s3-");
    const key = ".fgconnect/checkpoints/files";
    const config = s3DaemonConfig({
      emulator,
      server,
      bucket,
      dir,
      fn: "sink",
      connector: { checkpoint: { store: "bucket", key } },
    });
    let daemon = await startRunningDaemon(dir, config);
    await waitFor(() => deliveries.in(bucket).length === 6, 15_000, "six deliveries");
    await daemon.waitFor((l) => l.msg === "poll done" && l.pushed === 0);
    await stop(daemon);

    // The object loses its tail in the middle of in/3.txt's line.
    const stored = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = await stored.Body!.transformToString();
    const cut = text.slice(0, text.indexOf("in/3.txt\t") + 12);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: cut }));

    daemon = await startRunningDaemon(dir, config);
    await waitFor(() => deliveries.in(bucket).length === 9, 15_000, "three redeliveries");
    await daemon.waitFor((l) => l.msg === "poll done" && l.pushed === 0);
    await stop(daemon);
    expect(
      deliveries
        .in(bucket)
        .slice(6)
        .map((o) => o.key)
        .sort(),
    ).toEqual(["in/3.txt", "in/4.txt", "in/5.txt"]);
    const warnings = loud(daemon).filter((l) => l.level >= 40);
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        checkpoint: `s3://${bucket}/${key}`,
        entriesRecovered: 3,
        lastKeyRecovered: "in/2.txt",
        msg: expect.stringMatching(/cut short.*objects after that key are delivered again/),
      }),
    ]);
  });
});
