/**
 * The S3 connector's parts that benchmarks and tools drive directly, outside the connector:
 * `@fgconnect/s3/internal`. Not a stable API.
 */

export { readCheckpoint } from "./checkpoint-file.js";
export { type Change, diffListing } from "./diff.js";
export {
  type EventChange,
  type PollCycleDeps,
  type PollCycleOptions,
  type PollCycleResult,
  runPollCycle,
  type Settlement,
} from "./poll-cycle.js";
