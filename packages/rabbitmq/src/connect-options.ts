/** Resolved connector options → amqplib connect arguments (plain data; TLS files read here). */
import { readTlsFiles, urlList } from "@fgconnect/core/internal";
import type { Options } from "amqplib";
import { RabbitmqConnectorError, redactUrl } from "./errors.js";
import type { ResolvedRabbitmqOptions } from "./options.js";

export function brokerUrls(options: ResolvedRabbitmqOptions): string[] {
  return urlList(options.url);
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
    const { ca, cert, key } = readTlsFiles(
      t,
      (message, hint, cause) =>
        new RabbitmqConnectorError("RABBITMQ_TLS_FILE", message, hint, false, { cause }),
    );
    if (ca) socket.ca = [ca];
    if (cert) socket.cert = cert;
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
