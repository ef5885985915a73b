import { ConnectorError } from "@fgconnect/core";

/**
 * The MQTT connector's errors. Each has a stable `code` and a `hint` saying what to do; the
 * hint is also in the message, since the daemon prints messages as they are. Broker URLs are
 * shown without credentials, and passwords never appear.
 */
export class MqttConnectorError extends ConnectorError {
  constructor(code: string, what: string, hint: string, options?: { cause?: unknown }) {
    // Connection problems may pass: the daemon keeps retrying the connector.
    super(code, what, hint, { ...options, retryable: true });
  }
}

/** Connection refused codes (CONNACK): MQTT 3.1.1 return codes and MQTT 5 reason codes. */
const REFUSALS: Record<number, { code: string; what: string; hint: string }> = {
  1: {
    code: "MQTT_PROTOCOL_REFUSED",
    what: "the broker refused MQTT 3.1.1",
    hint: "set protocolVersion to a version the broker supports",
  },
  2: {
    code: "MQTT_CLIENT_ID_REFUSED",
    what: "the broker refused the client id",
    hint: "set a different clientId",
  },
  3: {
    code: "MQTT_BROKER_UNAVAILABLE",
    what: "the broker is unavailable",
    hint: "check the broker, then restart",
  },
  4: {
    code: "MQTT_BAD_CREDENTIALS",
    what: "the broker refused the username or password",
    hint: "check username and password (and the broker's password file)",
  },
  5: {
    code: "MQTT_NOT_AUTHORIZED",
    what: "the broker refused the connection: not authorized",
    hint: "check username, password and the broker's access rules",
  },
  132: {
    code: "MQTT_PROTOCOL_REFUSED",
    what: "the broker refused MQTT 5",
    hint: "set protocolVersion: 4 (MQTT 3.1.1)",
  },
  133: {
    code: "MQTT_CLIENT_ID_REFUSED",
    what: "the broker refused the client id",
    hint: "set a different clientId",
  },
  134: {
    code: "MQTT_BAD_CREDENTIALS",
    what: "the broker refused the username or password",
    hint: "check username and password (and the broker's password file)",
  },
  135: {
    code: "MQTT_NOT_AUTHORIZED",
    what: "the broker refused the connection: not authorized",
    hint: "check username, password and the broker's access rules",
  },
  136: {
    code: "MQTT_BROKER_UNAVAILABLE",
    what: "the broker is unavailable",
    hint: "check the broker, then restart",
  },
  137: { code: "MQTT_BROKER_UNAVAILABLE", what: "the broker is busy", hint: "retry later" },
  138: {
    code: "MQTT_NOT_AUTHORIZED",
    what: "the broker banned this client",
    hint: "ask the broker's operator",
  },
};

/** The broker could not be reached, or refused the connection, at start. */
export function connectError(connector: string, broker: string, err: unknown): MqttConnectorError {
  const e = err as { code?: unknown; message?: string } | undefined;
  const where = `mqtt connector "${connector}" could not connect to ${broker}`;
  const refused = typeof e?.code === "number" ? REFUSALS[e.code] : undefined;
  if (refused)
    return new MqttConnectorError(refused.code, `${where}: ${refused.what}`, refused.hint, {
      cause: err,
    });
  const detail = e?.message ?? String(err);
  if (
    typeof e?.code === "string" &&
    /CERT|SSL|TLS|SELF_SIGNED|ERR_TLS|UNABLE_TO/.test(e.code + detail)
  ) {
    return new MqttConnectorError(
      "MQTT_TLS_FAILED",
      `${where}: TLS failed (${detail})`,
      "check tls.ca (the CA that signed the broker's certificate), tls.servername, and the client cert and key",
      { cause: err },
    );
  }
  return new MqttConnectorError(
    "MQTT_CONNECT_FAILED",
    `${where}: ${detail}`,
    "check the url, that the broker is running and reachable, and the protocol (mqtt:// or mqtts://)",
    { cause: err },
  );
}

export function subscribeError(
  connector: string,
  refused: { topic: string; code: number }[],
): MqttConnectorError {
  const list = refused.map((r) => `${r.topic} (reason ${r.code})`).join(", ");
  return new MqttConnectorError(
    "MQTT_SUBSCRIBE_REFUSED",
    `mqtt connector "${connector}": the broker refused the subscription(s) ${list}`,
    "check the topic filters, the user's access rules on the broker, and that it supports shared subscriptions if you use $share/",
  );
}

/** A response or dead letter could not be published. */
export function publishError(connector: string, topic: string, err: unknown): MqttConnectorError {
  return new MqttConnectorError(
    "MQTT_PUBLISH_FAILED",
    `mqtt connector "${connector}" could not publish to ${topic}: ${(err as Error)?.message ?? String(err)}`,
    "check the broker's access rules for this topic; it is retried",
    { cause: err },
  );
}

/** MQTT 5 DISCONNECT reason codes a broker sends, and what they mean for this connector. */
const BROKER_DISCONNECTS: Record<number, string> = {
  128: "unspecified error",
  129: "malformed packet",
  130: "protocol error",
  131: "implementation-specific error",
  135: "not authorized",
  137: "server busy",
  139: "server shutting down",
  141: "keepalive timeout",
  142: "session taken over: another client connected with the same clientId (each replica needs its own)",
  147: "receive maximum exceeded",
  151: "quota exceeded",
  152: "administrative action",
  156: "use another server",
  157: "server moved",
  159: "connection rate exceeded",
  160: "maximum connect time",
};

/** Why the broker sent DISCONNECT (MQTT 5), for a log line. */
export function brokerDisconnectReason(code = 0, reasonString?: string): string {
  const what = BROKER_DISCONNECTS[code] ?? (code === 0 ? "normal disconnection" : "reason");
  const detail = reasonString ? `: ${reasonString}` : "";
  return `the broker disconnected (0x${code.toString(16)} ${what}${detail})`;
}

/** The broker URL without user name or password, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}
