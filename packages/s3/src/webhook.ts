/**
 * The notification endpoint: POST a `Records` document with the shared secret, get 200 (and
 * how many records were accepted and ignored) once every accepted record was delivered or
 * dead-lettered, 503 if any had to be given back (the sender
 * retries), 401 without the secret. Answering only after the outcome keeps the webhook
 * at-least-once: a sender whose request failed sends the event again.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type NotificationRecord, parseNotification } from "./notification-records.js";

export interface WebhookOptions {
  host: string;
  port: number;
  path: string;
  secret: string;
  header: string;
  maxBodyBytes: number;
  /** Handles one document, once every record it accepted has its outcome. */
  onRecords(records: NotificationRecord[]): Promise<NotificationOutcome>;
  onRejected?(status: number, reason: string): void;
}

export interface NotificationOutcome {
  /** Every accepted record was delivered or dead-lettered (none given back at shutdown). */
  acknowledged: boolean;
  /** Records pushed for delivery. */
  accepted: number;
  /** Records for another bucket, or a key the connector does not deliver. */
  ignored: number;
}

export interface Webhook {
  readonly url: string;
  close(): Promise<void>;
}

export async function startWebhook(options: WebhookOptions): Promise<Webhook> {
  const expected = digest(options.secret);
  const headerName = options.header.toLowerCase();

  const authorized = (req: IncomingMessage): boolean => {
    const candidates: string[] = [];
    const auth = req.headers.authorization;
    if (auth) candidates.push(auth.replace(/^Bearer\s+/i, ""));
    const custom = req.headers[headerName];
    if (typeof custom === "string") candidates.push(custom);
    return candidates.some((c) => timingSafeEqual(digest(c), expected));
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== options.path)
      return reject(res, 404, `not found; POST notifications to ${options.path}`);
    if (req.method !== "POST") return reject(res, 405, "use POST");
    if (!authorized(req)) return reject(res, 401, "missing or wrong shared secret");
    if (Number(req.headers["content-length"] ?? 0) > options.maxBodyBytes) {
      res.setHeader("connection", "close");
      return reject(res, 413, `body larger than ${options.maxBodyBytes} bytes`);
    }
    const body = await readBody(req, options.maxBodyBytes);
    if (body === undefined) {
      res.setHeader("connection", "close");
      return reject(res, 413, `body larger than ${options.maxBodyBytes} bytes`);
    }
    const parsed = parseNotification(body);
    if (parsed.kind === "invalid")
      return reject(res, 400, `not an S3 event notification: ${parsed.reason}`);
    if (parsed.kind === "test") return send(res, 200, { accepted: 0, ignored: 0 });
    const outcome = await options.onRecords(parsed.records);
    if (outcome.acknowledged)
      send(res, 200, { accepted: outcome.accepted, ignored: outcome.ignored });
    else send(res, 503, { error: "shutting down; send the notification again" });
  };

  const reject = (res: ServerResponse, status: number, reason: string) => {
    options.onRejected?.(status, reason);
    send(res, status, { error: reason });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}${options.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** Fixed-length digests make the comparison constant-time whatever the lengths. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
