/** Resolved connector options → amqplib connect arguments (plain data; TLS files read here). */
import { readFileSync } from "node:fs";
import type { Options } from "amqplib";
import { RabbitmqConnectorError, redactUrl } from "./errors.js";
import type { ResolvedRabbitmqOptions } from "./options.js";

/** A PEM option is either PEM text or the path of a PEM file. */
function pem(field: string, value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  if (value.includes("-----BEGIN")) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (err) {
    throw new RabbitmqConnectorError(
      "RABBITMQ_TLS_FILE",
      `${field}: cannot read ${value} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      `set ${field} to a readable PEM file, or to the PEM text itself`,
      false,
      { cause: err },
    );
  }
}

export function brokerUrls(options: ResolvedRabbitmqOptions): string[] {
  return Array.isArray(options.url) ? options.url : [options.url];
}

/** The brokers for logs and health: URLs without credentials. */
export function brokerLabel(options: ResolvedRabbitmqOptions): string {
  return brokerUrls(options).map(redactUrl).join(", ");
}

export interface ConnectArgs {
  url: Options.Connect;
  socket: Record<string, unknown>;
}

/** What amqplib's `connect(url, socket)` needs for the broker at `url`. */
export function connectArgs(
  url: string,
  options: ResolvedRabbitmqOptions,
  connectionName: string,
): ConnectArgs {
  const u = new URL(url);
  const tls = u.protocol === "amqps:";
  const vhost =
    options.vhost ?? (u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : "/");
  const username = options.username ?? (u.username ? decodeURIComponent(u.username) : "guest");
  const password =
    options.password ??
    (options.username === undefined && u.password ? decodeURIComponent(u.password) : undefined);
  const socket: Record<string, unknown> = {
    timeout: options.connectTimeoutMs,
    noDelay: true,
    clientProperties: { connection_name: connectionName },
  };
  if (tls && options.tls) {
    const t = options.tls;
    const ca = pem("tls.ca", t.ca);
    if (ca) socket.ca = [ca];
    const cert = pem("tls.cert", t.cert);
    if (cert) socket.cert = cert;
    const key = pem("tls.key", t.key);
    if (key) socket.key = key;
    socket.rejectUnauthorized = t.rejectUnauthorized;
    if (t.servername) socket.servername = t.servername;
  }
  return {
    url: {
      protocol: tls ? "amqps" : "amqp",
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: u.port ? Number(u.port) : tls ? 5671 : 5672,
      username,
      password: password ?? (options.username === undefined && !u.username ? "guest" : ""),
      vhost,
      heartbeat: options.heartbeatSeconds,
    },
    socket,
  };
}
