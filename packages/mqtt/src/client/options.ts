/** Resolved connector options → mqtt.js client options (plain data; TLS files read here). */
import { readTlsFiles, urlList } from "@fgconnect/core/internal";
import type { IClientOptions } from "mqtt";
import { MqttConnectorError } from "../errors.js";
import type { ResolvedMqttOptions } from "../options.js";

const DEFAULT_PORTS: Record<string, number> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };

export function brokerUrls(options: ResolvedMqttOptions): string[] {
  return urlList(options.url);
}

const noLog = (): void => {};

/** `clientId` comes from `clientIdentity` (client-id.ts). */
export function clientOptions(clientId: string, options: ResolvedMqttOptions): IClientOptions {
  const urls = brokerUrls(options);
  const servers = urls.map((url) => {
    const u = new URL(url);
    const protocol = u.protocol.replace(":", "") as "mqtt" | "mqtts" | "ws" | "wss";
    return { protocol, host: u.hostname, port: u.port ? Number(u.port) : DEFAULT_PORTS[protocol]! };
  });
  const tls = options.tls;
  const out: IClientOptions = {
    ...servers[0],
    ...(servers.length > 1 ? { servers } : {}),
    clientId,
    protocolVersion: options.protocolVersion,
    clean: options.clean,
    keepalive: options.keepaliveSeconds,
    connectTimeout: options.connectTimeoutMs,
    reconnectPeriod: options.reconnect.minDelayMs,
    resubscribe: true,
    // Responses and dead letters published while the connection is down go out on reconnect.
    queueQoSZero: true,
    // mqtt.js logs through `debug` several times per packet; off, that was ~5% of our CPU.
    log: noLog,
  };
  if (options.username !== undefined) out.username = options.username;
  if (options.password !== undefined) out.password = options.password;
  if (options.protocolVersion === 5) {
    out.properties = {
      sessionExpiryInterval: options.sessionExpirySeconds,
      receiveMaximum: options.receiveMaximum,
    };
  }
  if (tls) {
    Object.assign(
      out,
      readTlsFiles(
        tls,
        (message, hint, cause) => new MqttConnectorError("MQTT_TLS_FILE", message, hint, { cause }),
      ),
    );
    out.rejectUnauthorized = tls.rejectUnauthorized;
    if (tls.servername) out.servername = tls.servername;
  }
  return out;
}
