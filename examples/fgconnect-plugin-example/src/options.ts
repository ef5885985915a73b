import { z } from "zod";

/**
 * The one schema of the connector's options: it validates, defaults, and (through `.describe`)
 * writes the docs and the config's JSON Schema. `type` is not declared here; the daemon adds it.
 */
export const httpPollOptionsSchema = z
  .object({
    url: z.url().describe("The URL to GET, e.g. https://api.example.com/v1/status."),
    intervalMs: z
      .number()
      .int()
      .min(100)
      .default(10_000)
      .describe("Time between the end of one poll and the start of the next, in ms."),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(5_000)
      .describe("Deadline of one GET, in ms; a poll that times out is retried next interval."),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe("Extra request headers, e.g. an Authorization; use ${ENV_VAR} for secrets."),
    onlyChanges: z
      .boolean()
      .default(true)
      .describe(
        "Send a response only when its body differs from the last one delivered; false sends every poll.",
      ),
  })
  .strict();

export type HttpPollOptions = z.input<typeof httpPollOptionsSchema>;
export type ResolvedHttpPollOptions = z.output<typeof httpPollOptionsSchema>;
