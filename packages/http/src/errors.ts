import { ConnectorError } from "@fgconnect/core";

/** The HTTP connector's errors: a stable `code` and a hint saying what to do. */
export class HttpConnectorError extends ConnectorError {}
