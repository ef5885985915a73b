import type { AsyncInvocationResult, AsyncStatusStore } from "./async-status.js";
import type { InvocationOutcome } from "./invoker.js";
import type { BoundedList } from "./records.js";
import type { Target } from "./registry.js";

/** The record FunctionGraph sends to an async on-failure destination (FUNCTIONGRAPH.md). */
export interface OnFailureRecord {
  timestamp: string;
  request_context: {
    request_id: string;
    function_urn: string;
    /** The last error's type, or "EventAgeExceeded" for a discarded event. */
    condition: string;
    approximate_invoke_count: number;
  };
  /** The event as received (the request body text). */
  request_payload: string;
  response_context: { status_code: number; function_error: string };
  response_payload: string;
}

export interface AsyncJob {
  target: Target;
  event: unknown;
  body: string;
  memoryMb: number;
  acceptedAt: number;
  record: AsyncInvocationResult;
}

export interface AsyncQueueOptions {
  queueSize: number;
  concurrency: number;
  retryDelayMs: number;
  throttleDelayMs: number;
}

export interface AsyncQueueDeps {
  /** Runs one attempt; `undefined` when the function is at its concurrency limit (throttled). */
  attempt(job: AsyncJob): Promise<InvocationOutcome> | undefined;
  store: AsyncStatusStore;
  failures: BoundedList<OnFailureRecord>;
  /** Told about every final outcome (for the log line). */
  settled(job: AsyncJob): void;
}

/**
 * The bounded queue behind `invocations-async`: events wait here (WAIT), run on a fixed number
 * of workers (RUNNING), are retried after a function error up to the function's
 * maxAsyncRetryAttempts, waited out when throttled, and discarded past maxAsyncEventAge.
 */
export class AsyncQueue {
  private queue: AsyncJob[] = [];
  private head = 0;
  /** Events accepted and not yet settled: queued, waiting on a retry timer, or running. */
  private pending = 0;
  private running = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly opts: AsyncQueueOptions,
    private readonly deps: AsyncQueueDeps,
  ) {}

  /** False when the queue is full (the caller answers 429). */
  enqueue(job: AsyncJob): boolean {
    if (this.closed || this.pending - this.running >= this.opts.queueSize) return false;
    this.pending++;
    this.deps.store.add(job.record);
    this.queue.push(job);
    this.pump();
    return true;
  }

  /** Resolves once every accepted event has settled. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue = [];
    this.head = 0;
    this.pending = 0;
    this.checkIdle();
  }

  private pump(): void {
    while (this.running < this.opts.concurrency && this.head < this.queue.length) {
      const job = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.start(job);
    }
  }

  private start(job: AsyncJob): void {
    const { record, target } = job;
    if (Date.now() - job.acceptedAt > target.fn.maxAsyncEventAgeMs) {
      this.finish(job, "DISCARD", "FSS.0408", "the event is older than maxAsyncEventAgeSeconds");
      this.fail(job, "EventAgeExceeded", "");
      return;
    }
    const attempt = this.deps.attempt(job);
    if (!attempt) {
      // Throttled: the platform keeps the event and tries again; not an attempt.
      this.later(job, this.opts.throttleDelayMs);
      return;
    }
    this.running++;
    record.status = "RUNNING";
    record.attempts++;
    if (record.startTime === "") record.startTime = new Date().toISOString();
    attempt.then(
      (outcome) => {
        this.running--;
        if (this.closed) return;
        record.result = outcome.result;
        if (!outcome.isError) {
          this.finish(job, "SUCCESS", "", "");
        } else if (record.attempts <= target.fn.maxAsyncRetryAttempts) {
          record.status = "WAIT";
          this.later(job, this.opts.retryDelayMs);
        } else {
          this.finish(job, "FAIL", outcome.errCode, outcome.errorMessage ?? "function error");
          this.fail(job, outcome.errorType ?? "FunctionError", outcome.errorType ?? "");
        }
        this.pump();
      },
      (err: unknown) => {
        // invoke() does not reject; this guards against a bug turning into a stuck event.
        this.running--;
        this.finish(job, "FAIL", "FSS.0500", String(err));
        this.pump();
      },
    );
  }

  private later(job: AsyncJob, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.queue.push(job);
      this.pump();
    }, ms);
    this.timers.add(timer);
  }

  private finish(job: AsyncJob, status: "SUCCESS" | "FAIL" | "DISCARD", code: string, msg: string) {
    const r = job.record;
    r.status = status;
    r.errorCode = code;
    r.errorMessage = msg;
    r.endTime = new Date().toISOString();
    this.pending--;
    this.deps.settled(job);
    this.checkIdle();
  }

  private fail(job: AsyncJob, condition: string, functionError: string): void {
    this.deps.failures.push({
      timestamp: new Date().toISOString(),
      request_context: {
        request_id: job.record.requestId,
        function_urn: job.target.urn,
        condition,
        approximate_invoke_count: job.record.attempts,
      },
      request_payload: job.body,
      response_context: { status_code: 200, function_error: functionError },
      response_payload: job.record.result ?? "",
    });
  }

  private checkIdle(): void {
    if (this.pending === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
