export { httpConnector } from "./definition.js";
export { HttpConnectorError } from "./errors.js";
export {
  type ApigEvent,
  apigEvent,
  type EventSettings,
  type HttpRecord,
  type RequestParts,
} from "./event.js";
export {
  APIG_BODY_LIMIT,
  type HttpOptions,
  type HttpRouteOptions,
  httpOptionsSchema,
  type ResolvedHttpOptions,
} from "./options.js";
export type { HttpAnswer } from "./response.js";
export { HttpConnector } from "./source.js";

import { parseConnectorOptions } from "@fgconnect/core";
import { httpConnector } from "./definition.js";
import type { HttpOptions } from "./options.js";
import { HttpConnector } from "./source.js";

/** An HTTP connector named `name`, its options validated and defaulted by `httpOptionsSchema`. */
export function createHttpConnector(name: string, options: HttpOptions): HttpConnector {
  return new HttpConnector(name, parseConnectorOptions(httpConnector, name, options));
}
