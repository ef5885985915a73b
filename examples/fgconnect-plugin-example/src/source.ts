import type {
  Connector,
  ConnectorContext,
  ConnectorCounter,
  ConnectorHealth,
  ConnectorServices,
  Logger,
} from "@fgconnect/core";
import type { ResolvedHttpPollOptions } from "./options.js";
import { type HttpPollRecord, nativeFormat, type PollResponse, pollRecord } from "./record.js";

/**
 * GETs a URL every `intervalMs` and pushes the response as a record.
 *
 * Acknowledgement: a poller's "checkpoint" is the last body it delivered. It is advanced only
 * when the record's outcome is `delivered` or `dead-lettered`; an `abandoned` record (the
 * daemon is stopping) leaves it, so the next run sends that body again. One poll is in flight
 * at a time, so responses reach the function in the order they were read.
 */
export class HttpPollConnector implements Connector<HttpPollRecord> {
  readonly type = "http-poll";
  readonly formats = { native: nativeFormat };
  readonly defaultFormat = "native";
  readonly #options: ResolvedHttpPollOptions;
  readonly #logger: Logger;
  readonly #requests: ConnectorCounter;
  #ctx?: ConnectorContext<HttpPollRecord>;
  #timer?: ReturnType<typeof setTimeout>;
  #cycle: Promise<void> = Promise.resolve();
  #paused = false;
  #stopped = false;
  /** A poll is due but waits for `resume()`. */
  #due = false;
  #lastDelivered: string | undefined;
  #sequence = 0;
  #lastError: string | undefined;

  constructor(
    readonly name: string,
    options: ResolvedHttpPollOptions,
    services: Pick<ConnectorServices, "logger" | "metrics">,
  ) {
    this.#options = options;
    this.#logger = services.logger;
    this.#requests = services.metrics.counter(
      "fgconnect_http_poll_requests_total",
      "Polls of the URL, by result: changed (sent), unchanged (skipped) or error.",
      ["result"],
    );
  }

  /** The first GET happens here: an unreachable URL fails the start (the daemon retries it). */
  async start(ctx: ConnectorContext<HttpPollRecord>): Promise<void> {
    this.#ctx = ctx;
    const response = await this.#get();
    this.#cycle = this.#handle(response);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    if (this.#due && !this.#stopped) {
      this.#due = false;
      this.#cycle = this.#poll();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#cycle;
  }

  health(): ConnectorHealth {
    return this.#lastError
      ? { connected: false, detail: `GET ${this.#options.url}: ${this.#lastError}` }
      : { connected: true, detail: `polling ${this.#options.url}` };
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      if (this.#paused) this.#due = true;
      else this.#cycle = this.#poll();
    }, this.#options.intervalMs);
  }

  async #poll(): Promise<void> {
    let response: PollResponse;
    try {
      response = await this.#get();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // One warn line per failure streak, not one per poll.
      if (this.#lastError === undefined)
        this.#logger.warn(
          { url: this.#options.url, err: message },
          "poll failed; retrying every interval (check the URL and that the server answers)",
        );
      this.#lastError = message;
      this.#requests.inc({ result: "error" });
      return this.#schedule();
    }
    if (this.#lastError !== undefined)
      this.#logger.info({ url: this.#options.url }, "poll works again");
    this.#lastError = undefined;
    await this.#handle(response);
  }

  async #handle(response: PollResponse): Promise<void> {
    if (this.#options.onlyChanges && response.text === this.#lastDelivered) {
      this.#requests.inc({ result: "unchanged" });
      return this.#schedule();
    }
    this.#requests.inc({ result: "changed" });
    const record = pollRecord(this.name, this.#options.url, response, ++this.#sequence, Date.now());
    const outcome = await this.#ctx!.push(record);
    // Given back at shutdown: not acknowledged, and no further polls.
    if (outcome === "abandoned") return;
    this.#lastDelivered = response.text;
    this.#schedule();
  }

  async #get(): Promise<PollResponse> {
    const res = await fetch(this.#options.url, {
      headers: this.#options.headers,
      signal: AbortSignal.timeout(this.#options.timeoutMs),
    });
    // A 4xx or 5xx is a failed poll, not an event.
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    return {
      status: res.status,
      contentType: res.headers.get("content-type") ?? "",
      text: await res.text(),
    };
  }
}
