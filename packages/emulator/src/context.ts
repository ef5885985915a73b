import type { ResolvedFunction } from "./function-config.js";
import type { InvocationLog } from "./log-capture.js";

/** The logger of `context.getLogger()`: lines go to the invocation's log. */
export interface FunctionLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** The `context` argument of FunctionGraph's Node.js runtime. */
export interface FunctionContext {
  getRequestID(): string;
  getRemainingTimeInMilliSeconds(): number;
  getRunningTimeInSeconds(): number;
  getLogger(): FunctionLogger;
  getFunctionName(): string;
  getVersion(): string;
  getUserData(key: string): string | undefined;
  getProjectID(): string;
  getPackage(): string;
  getMemorySize(): number;
  getAccessKey(): string;
  getSecretKey(): string;
  getToken(): string;
  getSecurityAccessKey(): string;
  getSecuritySecretKey(): string;
  getSecurityToken(): string;
  getAlias(): string;
}

function logLine(log: InvocationLog, requestId: string, level: string, args: unknown[]): void {
  const msg = args.map((a) => (typeof a === "string" ? a : safeInspect(a))).join(" ");
  log.write(`${new Date().toISOString()} ${requestId} ${level} ${msg}`);
}

function safeInspect(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Methods live on the prototype so building a context costs one small object per call. */
export class InvocationContext implements FunctionContext {
  private logger: FunctionLogger | undefined;

  constructor(
    private readonly fn: ResolvedFunction,
    private readonly requestId: string,
    private readonly projectId: string,
    private readonly version: string,
    private readonly alias: string,
    private readonly memoryMb: number,
    /** `performance.now()` at which the invocation times out. */
    private readonly deadline: number,
    private readonly log: InvocationLog,
  ) {}

  getRequestID(): string {
    return this.requestId;
  }
  getRemainingTimeInMilliSeconds(): number {
    return Math.max(0, Math.round(this.deadline - performance.now()));
  }
  /** As in the runtime: the function's configured timeout. */
  getRunningTimeInSeconds(): number {
    return this.fn.timeoutMs / 1000;
  }
  getLogger(): FunctionLogger {
    if (!this.logger) {
      const { log, requestId } = this;
      this.logger = {
        debug: (...a) => logLine(log, requestId, "DEBUG", a),
        info: (...a) => logLine(log, requestId, "INFO", a),
        warn: (...a) => logLine(log, requestId, "WARN", a),
        error: (...a) => logLine(log, requestId, "ERROR", a),
      };
    }
    return this.logger;
  }
  getFunctionName(): string {
    return this.fn.name;
  }
  getVersion(): string {
    return this.version;
  }
  getAlias(): string {
    return this.alias;
  }
  getUserData(key: string): string | undefined {
    return this.fn.environment.get(key);
  }
  getProjectID(): string {
    return this.projectId;
  }
  getPackage(): string {
    return this.fn.package;
  }
  getMemorySize(): number {
    return this.memoryMb;
  }
  // The emulator has no agency credentials: all empty, as for a function without an agency.
  getAccessKey(): string {
    return "";
  }
  getSecretKey(): string {
    return "";
  }
  getToken(): string {
    return "";
  }
  getSecurityAccessKey(): string {
    return "";
  }
  getSecuritySecretKey(): string {
    return "";
  }
  getSecurityToken(): string {
    return "";
  }
}
