import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { formatUrn, parseUrn } from "@fgconnect/core";
import { AsyncQueue, type OnFailureRecord } from "./async-queue.js";
import { type AsyncInvocationResult, AsyncStatusStore } from "./async-status.js";
import { type AuthOptions, createAuthenticator } from "./auth.js";
import {
  DEFAULT_ASYNC_CONCURRENCY,
  DEFAULT_ASYNC_QUEUE_SIZE,
  DEFAULT_ASYNC_RETRY_DELAY_MS,
  DEFAULT_ASYNC_THROTTLE_DELAY_MS,
  DEFAULT_HOST,
  DEFAULT_MAX_RECORDS,
  DEFAULT_PROJECT_ID,
  DEFAULT_REGION,
} from "./constants.js";
import { type Fault, FaultState, validateFault } from "./fault.js";
import type { FunctionDefinition, Handler, ResolvedFunction } from "./function-config.js";
import { invoke } from "./invoker.js";
import { loadFunctions } from "./loader.js";
import { installConsoleCapture } from "./log-capture.js";
import { round3 } from "./log-format.js";
import {
  BoundedList,
  type InvocationRecord,
  type LogSink,
  logField,
  stdoutSink,
} from "./records.js";
import { Registry } from "./registry.js";
import { createRequestHandler } from "./server.js";

export interface EmulatorOptions {
  /** A folder of functions (see the README for its layout). */
  functionsDir?: string;
  /** Functions given in code: key "name" or "package:name". They override the folder's. */
  functions?: Record<string, Handler | FunctionDefinition>;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The project the emulator serves (default 0123456789abcdef0123456789abcdef). */
  projectId?: string;
  /** The region the emulator serves (default cn-north-4). */
  region?: string;
  /** Who may call (see AuthOptions); `false` turns auth off. Default: any credentials. */
  auth?: AuthOptions | false;
  /** Where the one-line-per-invocation log goes; `false` for nowhere. Default: stdout. */
  log?: LogSink | false;
  /** Random source for fault ratios; by default ratios are applied by exact counting. */
  random?: () => number;
  /** The async queue. */
  async?: {
    /** Events that may wait (default 1000); beyond it `invocations-async` answers 429. */
    queueSize?: number;
    /** Events run at once (default 16). */
    concurrency?: number;
    /** Pause before retrying a failed event (default 1000 ms). */
    retryDelayMs?: number;
    /** Pause before retrying a throttled event (default 100 ms). */
    throttleDelayMs?: number;
  };
  /** Most recent invocation records / async statuses / failure records kept (default 10,000). */
  maxRecords?: number;
  /** Capture `console.*` output of functions into their logs (default true). */
  captureConsole?: boolean;
}

export interface Emulator {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly projectId: string;
  readonly region: string;
  /** The full URN of a function: name or "package:name"; version "latest" by default, "!alias" for an alias. */
  urnFor(name: string, version?: string): string;
  /** The functions served, with their `latest` URN. */
  functions(): Array<{ package: string; name: string; urn: string }>;
  /** Adds or replaces a function while running. */
  register(name: string, definition: Handler | FunctionDefinition): void;
  /** Sets (or with undefined clears) the faults of a function; counting restarts. */
  setFault(name: string, fault: Fault | undefined): void;
  /** Every invocation call received, oldest first (the most recent `maxRecords`). */
  readonly invocations: readonly InvocationRecord[];
  /** The state of async invocations, oldest first; filter by function name or request id. */
  asyncResults(filter?: { name?: string; requestId?: string }): AsyncInvocationResult[];
  /** On-failure records of async invocations that failed or were discarded. */
  asyncFailures(): OnFailureRecord[];
  /** Resolves once every accepted async invocation has settled. */
  idle(): Promise<void>;
  /** Forgets the invocation records, async states and failure records. */
  reset(): void;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const projectId = options.projectId ?? DEFAULT_PROJECT_ID;
  const region = options.region ?? DEFAULT_REGION;
  // Validates project id and region once, with the URN rules.
  parseUrn(`urn:fss:${region}:${projectId}:function:default:probe`);

  const registry = new Registry(projectId, region, options.random);
  const definitions = {
    ...(options.functionsDir ? await loadFunctions(options.functionsDir) : {}),
    ...options.functions,
  };
  for (const [key, def] of Object.entries(definitions)) registry.register(key, def);

  const maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
  let records = new BoundedList<InvocationRecord>(maxRecords);
  let failures = new BoundedList<OnFailureRecord>(maxRecords);
  let store = new AsyncStatusStore(maxRecords);
  const sink = options.log === false ? undefined : (options.log ?? stdoutSink);

  const queue = new AsyncQueue(
    {
      queueSize: options.async?.queueSize ?? DEFAULT_ASYNC_QUEUE_SIZE,
      concurrency: options.async?.concurrency ?? DEFAULT_ASYNC_CONCURRENCY,
      retryDelayMs: options.async?.retryDelayMs ?? DEFAULT_ASYNC_RETRY_DELAY_MS,
      throttleDelayMs: options.async?.throttleDelayMs ?? DEFAULT_ASYNC_THROTTLE_DELAY_MS,
    },
    {
      attempt(job) {
        const fn = job.target.fn;
        const fault = registry.fault(fn);
        const limit = Math.min(fault?.fault.maxConcurrency ?? fn.concurrency, fn.concurrency);
        if (fn.running >= limit) return undefined;
        return invoke({
          fn,
          event: job.event,
          requestId: job.record.requestId,
          projectId,
          version: job.target.version,
          alias: job.target.alias,
          memoryMb: job.memoryMb,
          injectError: fault ? fault.functionErrorHits() : false,
        });
      },
      get store() {
        return store;
      },
      get failures() {
        return failures;
      },
      settled(job) {
        const r = job.record;
        const ms = r.startTime ? Date.now() - Date.parse(r.startTime) : 0;
        sink?.(
          `${r.endTime} async-run ${logField(r.urn)} ${r.status}${r.errorCode ? ` ${logField(r.errorCode)}` : ""} ${r.requestId} attempts=${r.attempts} ${round3(ms)}ms`,
        );
      },
    },
  );

  const uninstallConsole = options.captureConsole === false ? () => {} : installConsoleCapture();
  const handler = createRequestHandler({
    registry,
    authenticate: createAuthenticator(options.auth),
    queue,
    get store() {
      return store;
    },
    get records() {
      return records;
    },
    sink,
  });
  const server = createServer({ keepAliveTimeout: 65_000 }, handler);
  const host = options.host ?? DEFAULT_HOST;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    uninstallConsole();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  const findFunction = (name: string): ResolvedFunction => {
    const fn = registry.find(name);
    if (!fn) throw new Error(`no function "${name}" in the emulator`);
    return fn;
  };

  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    projectId,
    region,
    urnFor(name, version = "latest") {
      const colon = name.indexOf(":");
      const pkg = colon >= 0 ? name.slice(0, colon) : "default";
      const fnName = colon >= 0 ? name.slice(colon + 1) : name;
      const urn = { region, projectId, package: pkg, name: fnName };
      return formatUrn(
        version.startsWith("!") ? { ...urn, alias: version.slice(1) } : { ...urn, version },
      );
    },
    functions() {
      return registry.list().map((f) => ({
        package: f.package,
        name: f.name,
        urn: formatUrn({ region, projectId, package: f.package, name: f.name, version: "latest" }),
      }));
    },
    register(name, definition) {
      registry.register(name, definition);
    },
    setFault(name, fault) {
      const fn = findFunction(name);
      if (fault) validateFault(fault, `setFault("${name}")`);
      registry.setFault(fn, fault ? new FaultState(fault, options.random) : undefined);
    },
    get invocations() {
      return records.items;
    },
    asyncResults(filter = {}) {
      const fn = filter.name ? findFunction(filter.name) : undefined;
      const id = fn ? `${fn.package}:${fn.name}` : undefined;
      return store
        .all()
        .filter(
          (r) =>
            (id === undefined || r.functionId === id) &&
            (filter.requestId === undefined || r.requestId === filter.requestId),
        );
    },
    asyncFailures() {
      return [...failures.items];
    },
    idle() {
      return queue.idle();
    },
    reset() {
      records = new BoundedList(maxRecords);
      failures = new BoundedList(maxRecords);
      store = new AsyncStatusStore(maxRecords);
    },
    async close() {
      queue.close();
      uninstallConsole();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
