import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

/** One HTTP answer, its body read whole as UTF-8 text. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * Sends one request and reads the whole answer as text through `dispatcher.dispatch`.
 * undici's `request()` wraps every body in a Readable stream only for us to read it whole; a
 * handler that keeps the chunks skips that stream (~8 µs less CPU per call in the benchmarks).
 * Rejects with undici's error, or with the signal's reason once it aborts.
 */
export function send(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(options, new TextAnswer(resolve, reject, signal));
  });
}

/**
 * The answers in flight under each signal. The engine passes its one stop signal to every call:
 * one abort listener per signal, not an add and a remove per request.
 */
const inFlight = new WeakMap<AbortSignal, Set<TextAnswer>>();

/** Adds `answer` to its signal's set (and the signal's listener, the first time); returns it. */
function watch(signal: AbortSignal, answer: TextAnswer): Set<TextAnswer> {
  let answers = inFlight.get(signal);
  if (answers === undefined) {
    const set = new Set<TextAnswer>();
    signal.addEventListener(
      "abort",
      () => {
        for (const a of set) a.abort(signal.reason);
        set.clear();
      },
      { once: true },
    );
    inFlight.set(signal, set);
    answers = set;
  }
  answers.add(answer);
  return answers;
}

class TextAnswer implements Dispatcher.DispatchHandler {
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];
  #controller: Dispatcher.DispatchController | undefined;
  /** The set of answers in flight under the signal, this one among them. */
  #watched: Set<TextAnswer> | undefined;

  constructor(
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (err: unknown) => void,
    private readonly signal: AbortSignal | undefined,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const signal = this.signal;
    if (signal === undefined) return;
    if (signal.aborted) {
      controller.abort(signal.reason);
      return;
    }
    this.#controller = controller;
    this.#watched = watch(signal, this);
  }

  abort(reason: unknown): void {
    this.#controller?.abort(reason as Error);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
  ): void {
    // 1xx answers are informational; the final answer follows on the same handler.
    if (status < 200) return;
    this.#status = status;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.#done();
    const chunks = this.#chunks;
    const text =
      chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
    this.resolve({ status: this.#status, headers: this.#headers, text });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#done();
    this.reject(err);
  }

  #done(): void {
    this.#watched?.delete(this);
  }
}
