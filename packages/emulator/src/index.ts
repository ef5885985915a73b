/** @fgconnect/emulator: a local, wire-compatible FunctionGraph invocation server. */

export type { OnFailureRecord } from "./async-queue.js";
export type { AsyncInvocationResult, AsyncInvocationWire, AsyncStatus } from "./async-status.js";
export type { AuthOptions } from "./auth.js";
export * as limits from "./constants.js";
export type { FunctionContext, FunctionLogger } from "./context.js";
export { type Emulator, type EmulatorOptions, startEmulator } from "./emulator.js";
export { type Fault, seededRandom } from "./fault.js";
export type { FunctionConfig, FunctionDefinition, Handler } from "./function-config.js";
export { FunctionsFolderError, loadFunctions } from "./loader.js";
export type { InvocationMode, InvocationRecord, LogSink } from "./records.js";
export { type SampleEvent, sampleEvent, sampleEvents } from "./sample-events.js";
