import { httpPollConnector } from "./definition.js";

export { type HttpPollOptions, httpPollOptionsSchema } from "./options.js";
export { type HttpPollRecord, nativeFormat } from "./record.js";
export { HttpPollConnector } from "./source.js";
export { httpPollConnector };

/** What `plugins:` loads: the definition (named exports work as well). */
export default httpPollConnector;
