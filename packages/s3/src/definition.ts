import { defineConnector, reviveRecord } from "@fgconnect/core";
import { s3OptionsSchema } from "./options.js";
import { S3Connector } from "./source.js";

/** The `s3` connector type: its options, docs and factory in one place. */
export const s3Connector = defineConnector({
  type: "s3",
  summary:
    "Turns objects landing in an S3-compatible bucket into FunctionGraph OBS-trigger events, by polling with a checkpoint or by notification webhooks.",
  options: s3OptionsSchema,
  examples: [
    {
      title: "Poll a prefix, move what was delivered",
      yaml: `endpoint: http://127.0.0.1:9000
bucket: uploads
prefix: incoming/
suffixes: [.csv]
afterDelivery: { action: move, movePrefix: processed/ }`,
    },
  ],
  create: (name, options) => new S3Connector(name, options),
  // Its records are whole in a dead letter (a JSON body and plain attributes): replayable as is.
  deadLetters: { revive: reviveRecord },
});
