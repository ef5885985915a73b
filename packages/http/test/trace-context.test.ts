import type { ConnectorContext, RecordOutcome } from "@fgconnect/core";
import { silentLogger } from "@fgconnect/core";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpConnector, type HttpConnector, type HttpRecord } from "../src/index.js";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

let connector: HttpConnector | undefined;
afterEach(async () => {
  await connector?.stop();
  connector = undefined;
});

/** Starts the connector on a free port; each request's record is kept and answered delivered. */
async function start(): Promise<{ url: string; records: HttpRecord[] }> {
  const records: HttpRecord[] = [];
  connector = createHttpConnector("api", {
    host: "127.0.0.1",
    port: 0,
    routes: [{ name: "in", method: "POST", path: "/in" }],
  });
  const ctx: ConnectorContext<HttpRecord> = {
    push(record): Promise<RecordOutcome> {
      records.push(record);
      return Promise.resolve("delivered");
    },
    logger: silentLogger,
  };
  await connector.start(ctx);
  return { url: connector.url!, records };
}

describe("an HTTP record's trace context", () => {
  it("comes from the request's traceparent and tracestate headers", async () => {
    const { url, records } = await start();
    await fetch(`${url}/in`, {
      method: "POST",
      body: "{}",
      headers: { Traceparent: PARENT, tracestate: "v=1" },
    });
    await fetch(`${url}/in`, { method: "POST", body: "{}" });
    expect(records.map((r) => r.traceContext)).toEqual([
      { traceparent: PARENT, tracestate: "v=1" },
      undefined,
    ]);
  });
});
