import { defineConnector, reviveRecord, withLease } from "@fgconnect/core";
import { httpPollOptionsSchema } from "./options.js";
import { HttpPollConnector } from "./source.js";

/**
 * The `http-poll` connector type. With `coordination` in the daemon's config, the services
 * carry a lease and only the replica holding it polls (two pollers would send every change twice).
 */
export const httpPollConnector = defineConnector({
  type: "http-poll",
  summary: "Polls an HTTP URL and sends each changed response to a function (an example plugin).",
  options: httpPollOptionsSchema,
  examples: [
    {
      title: "Watch a status page every 30 s",
      yaml: `url: https://status.example.com/api/v2/status.json
intervalMs: 30000`,
    },
    {
      title: "Every poll, with a bearer token",
      yaml: `url: https://api.example.com/v1/queue-depth
onlyChanges: false
headers:
  authorization: Bearer \${API_TOKEN}`,
    },
  ],
  // Its records are plain (attributes and body), so a dead letter holds one whole and
  // `fgconnect dlq replay` can send it again.
  deadLetters: { revive: reviveRecord },
  create: (name, options, services) =>
    services.lease
      ? withLease(services.lease, () => new HttpPollConnector(name, options, services), {
          logger: services.logger,
        })
      : new HttpPollConnector(name, options, services),
});
