import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DeadLetterEntry, replayedFileOf, silentLogger } from "@fgconnect/core";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  deadLetterPage,
  deadLetterRows,
  filterFields,
  pageFilterOf,
} from "../src/admin/dead-letter-html.js";
import { buildAdmin, startAdmin } from "../src/admin/server.js";
import type { Config } from "../src/config/schema.js";
import { deadLetterService } from "../src/dlq/service.js";
import { ConnectorRegistry } from "../src/registry.js";
import type { StatusBoard } from "../src/status/board.js";
import type { StatusSnapshot } from "../src/status/snapshot.js";

const EVIL = `<script>alert("x")</script>`;

function entry(id: string, over: Partial<DeadLetterEntry> = {}): DeadLetterEntry {
  return {
    version: 1,
    id,
    reason: "retries exhausted",
    route: "orders",
    target: "urn:fss:cn-north-4:p:function:default:orders:latest",
    mode: "sync",
    attempts: 3,
    firstAttemptAt: "2026-01-02T03:04:00.000Z",
    deadLetteredAt: "2026-01-02T03:04:05.000Z",
    error: { name: "FunctionError", code: "FUNCTION_ERROR", message: "boom" },
    record: {
      id: `r-${id}`,
      source: "api",
      timestamp: "2026-01-02T03:03:59.000Z",
      size: 2,
      attributes: {},
      bodyEncoding: "json",
      body: { sku: "a1" },
    },
    ...over,
  };
}

/** An entry whose every field a source or function could have written holds markup. */
const hostile = entry(`"><img src=x onerror=alert(1)>`, {
  route: EVIL,
  target: `urn:fss:r:p:function:default:${EVIL}:latest`,
  error: { name: "E", code: EVIL, message: EVIL, requestId: EVIL },
  record: { ...entry("x").record, id: EVIL, source: EVIL, body: { html: EVIL } },
});

describe("the dead letters as HTML", () => {
  it("escapes everything an entry holds, in the list and on its page", () => {
    const rows = deadLetterRows(
      { entries: [{ ...hostile, replayed: false }], partial: false, bytes: 1024 },
      1,
    );
    const page = deadLetterPage({ ...hostile, replayed: true }, "file /tmp/dlq.jsonl");
    for (const html of [rows, page]) {
      expect(html).not.toContain("<script>");
      expect(html).not.toContain("<img");
      expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    }
    // The id goes into a link as one path segment, and into an attribute escaped.
    expect(rows).toContain(`href="/dead-letters/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"`);
    expect(rows).toContain(`data-id="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"`);
    expect(filterFields({ route: [`"><b>`] })).toContain(`value="&quot;&gt;&lt;b&gt;"`);
  });

  it("lists the same columns as the script, says when older entries were not read", () => {
    const rows = deadLetterRows(
      { entries: [{ ...entry("a"), replayed: true }], partial: true, bytes: 2 * 1024 * 1024 },
      7,
    );
    expect(rows).toMatch(/^<tbody id="dlq-rows" data-dead-lettered="7">/);
    expect(rows).toContain(
      "<td>2026-01-02T03:04:05.000Z</td><td>orders</td><td>default:orders:latest</td><td>retries exhausted (FUNCTION_ERROR)</td><td>3</td><td>r-a</td><td>yes</td>",
    );
    expect(rows).toContain("the newest 2 MiB of the file");
    expect(deadLetterRows({ entries: [], partial: false, bytes: 1 }, 0)).toContain(
      "No dead letters.",
    );
    expect(deadLetterRows({ error: "EACCES" }, 0)).toContain("could not be read: EACCES");
  });

  it("takes the filter from the query string, ignoring empty fields", () => {
    expect(pageFilterOf({ route: " orders ", function: "", reason: ["a", "TIMEOUT"] })).toEqual({
      route: ["orders"],
      reason: ["TIMEOUT"],
    });
    expect(pageFilterOf(undefined)).toEqual({});
  });
});

describe("the status page's dead letters, served", () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fgc-dlq-page-"));
    path = join(dir, "dead-letter.jsonl");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const snapshot: StatusSnapshot = {
    at: "2026-01-02T03:04:05.678Z",
    engine: { state: "running", inFlight: 0, buffered: { records: 0, bytes: 0 } },
    deadLetter: { ok: true },
    connectors: [],
    routes: [],
    invocations: [],
  };

  function service() {
    const config = { deadLetter: { path, fsync: false }, connectors: {} } as unknown as Config;
    return deadLetterService(() => config, {
      configDir: dir,
      logger: silentLogger,
      invoker: {} as never,
      connectorTypes: new ConnectorRegistry(),
    });
  }

  function deps() {
    return {
      registry: new Registry(),
      connectors: () => [],
      ready: () => true,
      status: { snapshot: () => snapshot } as unknown as StatusBoard,
      deadLetters: service(),
    };
  }
  const admin = () => buildAdmin(deps());

  it("renders the newest first, filtered, and each one's page; 404 for an unknown id", async () => {
    const lines = ["a", "b", "c"].map((id) =>
      JSON.stringify(entry(id, { route: id === "b" ? "other" : "orders" })),
    );
    await writeFile(path, `${lines.join("\n")}\n`);
    await appendFile(replayedFileOf(path), "a\n");
    const app = admin();
    const page = await app.inject("/");
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    const ids = (html: string) => [...html.matchAll(/<tr data-id="([^"]+)">/g)].map((m) => m[1]);
    expect(ids(page.body)).toEqual(["c", "b", "a"]);
    expect(ids((await app.inject("/?route=orders&function=&reason=")).body)).toEqual(["c", "a"]);
    expect((await app.inject("/?route=orders")).body).toContain('value="orders"');

    const one = await app.inject("/dead-letters/a");
    expect(one.statusCode).toBe(200);
    expect(one.headers["content-type"]).toContain("text/html");
    expect(one.body).toContain("<dt>Replayed</dt><dd>yes</dd>");
    expect(one.body).toContain("FUNCTION_ERROR: boom");
    const none = await app.inject("/dead-letters/nope");
    expect(none.statusCode).toBe(404);
    expect(none.body).toContain("no dead letter with id <code>nope</code>");
  });

  it("reads only the newest entries and bytes it is allowed to, and says when it stopped short", async () => {
    const lines = ["a", "b", "c"].map((id) => `${JSON.stringify(entry(id))}\n`);
    await writeFile(path, lines.join(""));
    const ids = (r: { entries: { id: string }[]; partial: boolean }) => [
      r.entries.map((e) => e.id),
      r.partial,
    ];
    expect(ids(await service().newest({}, { limit: 2, bytes: 1e6 }))).toEqual([["c", "b"], false]);
    expect(ids(await service().newest({}, { limit: 9, bytes: lines[2]!.length + 5 }))).toEqual([
      ["c"],
      true,
    ]);
    await rm(path);
    expect(ids(await service().newest({}, { limit: 9, bytes: 10 }))).toEqual([[], false]);
  });

  it("beyond loopback, serves dead letters only with the admin token; the rest stays open", async () => {
    await writeFile(path, `${JSON.stringify(entry("secret-order"))}\n`);
    const token = "a-token-of-sixteen-chars";
    const server = await startAdmin({ ...deps(), token, host: "0.0.0.0", port: 0 });
    const url = server.url.replace("0.0.0.0", "127.0.0.1");
    try {
      const bearer = { authorization: `Bearer ${token}` };
      for (const path of [
        "/api/dead-letters",
        "/api/dead-letters/secret-order",
        "/dead-letters/secret-order",
      ]) {
        const refused = await fetch(`${url}${path}`);
        expect(refused.status, path).toBe(401);
        expect(await refused.text()).toContain("dead letters beyond loopback need the admin token");
        expect((await fetch(`${url}${path}`, { headers: bearer })).status, path).toBe(200);
      }
      // The page lists none on the server (it cannot send the token) and says why.
      const page = await (await fetch(`${url}/`)).text();
      expect(page).not.toContain("secret-order");
      expect(page).toContain("beyond loopback, dead letters need the admin token");
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
    // On loopback (the default) they stay open.
    const local = await startAdmin({ ...deps(), token, host: "127.0.0.1", port: 0 });
    try {
      expect((await fetch(`${local.url}/api/dead-letters`)).status).toBe(200);
    } finally {
      await local.close();
    }
  });
});
