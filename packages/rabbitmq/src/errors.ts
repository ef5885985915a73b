import { ConnectorError } from "@fgconnect/core";

/**
 * The RabbitMQ connector's errors: a stable `code`, and a `hint` saying what to do (also in the
 * message). Broker URLs are shown without credentials; passwords never appear.
 */
export class RabbitmqConnectorError extends ConnectorError {
  constructor(
    code: string,
    what: string,
    hint: string,
    retryable = true,
    options?: { cause?: unknown },
  ) {
    super(code, what, hint, { ...options, retryable });
  }
}

/** `amqp://user:secret@host/vh` → `amqp://host/vh`. */
export function redactUrl(url: string): string {
  return url.replace(/^(amqps?:\/\/)[^@/]*@/, "$1");
}

/** Why a connection or channel failed, in one line without secrets. */
export function reasonOf(err: unknown): string {
  const e = err as { message?: string; code?: unknown } | undefined;
  const text = e?.message ?? String(err);
  return text.replace(/(amqps?:\/\/)[^@/\s]*@/g, "$1");
}

/** The broker could not be reached, or refused us, at start. */
export function connectError(
  connector: string,
  broker: string,
  err: unknown,
): RabbitmqConnectorError {
  const where = `rabbitmq connector "${connector}" could not connect to ${broker}`;
  const reason = reasonOf(err);
  if (/ACCESS_REFUSED|403|auth|login/i.test(reason))
    return new RabbitmqConnectorError(
      "RABBITMQ_ACCESS_REFUSED",
      `${where}: ${reason}`,
      "check username, password and the user's permissions on the vhost",
      true,
      { cause: err },
    );
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/i.test(reason))
    return new RabbitmqConnectorError(
      "RABBITMQ_TLS_FAILED",
      `${where}: TLS failed (${reason})`,
      "check tls.ca (the CA that signed the broker's certificate), tls.servername, and the client cert and key",
      true,
      { cause: err },
    );
  return new RabbitmqConnectorError(
    "RABBITMQ_CONNECT_FAILED",
    `${where}: ${reason}`,
    "check that the broker runs and the URL (host, port, vhost) is right; the daemon keeps retrying",
    true,
    { cause: err },
  );
}

/** A queue, exchange or binding could not be used at start. */
export function topologyError(connector: string, err: unknown): RabbitmqConnectorError {
  const reason = reasonOf(err);
  return new RabbitmqConnectorError(
    "RABBITMQ_TOPOLOGY",
    `rabbitmq connector "${connector}": ${reason}`,
    /NOT_FOUND/.test(reason)
      ? "create the queue/exchange, or set declare: true to let the connector declare them"
      : /PRECONDITION_FAILED/.test(reason)
        ? "the queue or exchange exists with other settings: match queueOptions/exchangeType to it"
        : "check the queue and exchange names and the user's permissions",
    true,
    { cause: err },
  );
}
