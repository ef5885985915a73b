import type { Dispatcher } from "undici";
import { classifyHttpError, classifyTransportError, header } from "../classify.js";
import { AuthError, InvalidArgumentError, ProtocolError } from "../errors.js";
import { createDispatcher } from "../http-agent.js";
import { DEFAULT_MAX_RESPONSE_BYTES } from "../options.js";
import { installRedaction, redactedView } from "../redact.js";
import { type Answer, send } from "../send.js";
import type { AuthHeaders, AuthProvider } from "./provider.js";

export interface IamAuthOptions {
  /** IAM user name. */
  username: string;
  password: string;
  /** The account (domain) name the user belongs to. */
  domainName: string;
  /** Region: the token's scope (project name) and the default IAM endpoint. */
  region?: string;
  /** Scope the token to this project name instead of the region's default project. */
  projectName?: string;
  /** Scope the token to this project id (wins over projectName). */
  projectId?: string;
  /** IAM base URL; default `https://iam.<region>.myhuaweicloud.com`. */
  endpoint?: string;
  /**
   * Refresh this long before the token expires. Default: the smaller of 1 h and 10% of the
   * token's lifetime (a 24 h token is refreshed 1 h early).
   */
  refreshMarginMs?: number;
  /** Login request timeout, ms. Default 15 000. */
  timeoutMs?: number;
  /** undici dispatcher for the login; default: the provider's own (honours HTTPS_PROXY). */
  dispatcher?: Dispatcher;
  /** Clock, for tests. */
  now?: () => number;
}

interface CachedToken {
  token: string;
  headers: AuthHeaders;
  /** After this, a login starts in the background while the token is still used. */
  refreshAt: number;
  /** After this, callers wait for a new token. */
  usableUntil: number;
}

/** Documented token lifetime, assumed when IAM's answer has no readable expires_at. */
const DEFAULT_LIFETIME_MS = 24 * 3600_000;
const MAX_MARGIN_MS = 3600_000;
/** After a failed background refresh, wait this long before the next one (the token still works). */
const BACKGROUND_RETRY_MS = 30_000;
const REGION = /^[a-z]{2,}(-[a-z0-9]+)+$/;

/**
 * An IAM user's password login, turned into an `X-Auth-Token`. The token is cached and
 * refreshed before it expires (in the background while it is still valid); concurrent calls
 * share one login; a 401 drops the rejected token so the client's single retry logs in again.
 * The password lives in a private field and is never printed.
 */
export class IamAuth implements AuthProvider {
  readonly kind = "iam";
  readonly #username: string;
  readonly #password: string;
  readonly #domainName: string;
  readonly #scope: { name: string } | { id: string };
  readonly #url: URL;
  readonly #margin: number | undefined;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #dispatcher: Dispatcher | undefined;
  readonly #ownsDispatcher: boolean;
  #token: CachedToken | undefined;
  #inflight: Promise<CachedToken> | undefined;
  #nextBackgroundTry = 0;
  #logins = 0;

  constructor(options: IamAuthOptions) {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError("options", "must be an object");
    }
    for (const field of ["username", "password", "domainName"] as const) {
      if (typeof options[field] !== "string" || options[field] === "") {
        throw new InvalidArgumentError(field, "must be a non-empty string");
      }
    }
    const { region, projectName, projectId, endpoint } = options;
    if (region !== undefined && !REGION.test(region)) {
      throw new InvalidArgumentError("region", "must be a region name such as cn-north-4");
    }
    if (projectId !== undefined && !/^[A-Za-z0-9]{32}$/.test(projectId)) {
      throw new InvalidArgumentError("projectId", "must be 32 letters or digits");
    }
    if (projectId === undefined && (projectName ?? region) === undefined) {
      throw new InvalidArgumentError(
        "region",
        "give a region (or projectName / projectId) to scope the token",
      );
    }
    if (endpoint === undefined && region === undefined) {
      throw new InvalidArgumentError("endpoint", "give an IAM endpoint or a region");
    }
    let url: URL;
    try {
      url = new URL(endpoint ?? `https://iam.${region}.myhuaweicloud.com`);
    } catch {
      throw new InvalidArgumentError("endpoint", "is not a valid URL");
    }
    if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password) {
      throw new InvalidArgumentError("endpoint", "must be an http(s) URL without credentials");
    }
    url.pathname = `${url.pathname.replace(/\/+$/, "")}/v3/auth/tokens`;
    const margin = options.refreshMarginMs;
    if (margin !== undefined && (!Number.isFinite(margin) || margin < 0)) {
      throw new InvalidArgumentError("refreshMarginMs", "must be a non-negative number of ms");
    }
    const timeoutMs = options.timeoutMs ?? 15_000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new InvalidArgumentError("timeoutMs", "must be a positive integer number of ms");
    }
    this.#username = options.username;
    this.#password = options.password;
    this.#domainName = options.domainName;
    this.#scope = projectId !== undefined ? { id: projectId } : { name: (projectName ?? region)! };
    this.#url = url;
    this.#margin = margin;
    this.#timeoutMs = timeoutMs;
    this.#now = options.now ?? Date.now;
    this.#dispatcher = options.dispatcher;
    this.#ownsDispatcher = options.dispatcher === undefined;
    installRedaction(this, () =>
      redactedView(this.kind, { endpoint: this.#url.origin, logins: this.#logins }),
    );
  }

  /** How many logins were made (for metrics and tests). */
  get logins(): number {
    return this.#logins;
  }

  /** When the cached token expires (ms since epoch), if there is one. */
  get expiresAt(): number | undefined {
    return this.#token?.usableUntil;
  }

  headers(): AuthHeaders | Promise<AuthHeaders> {
    const t = this.#token;
    if (t !== undefined) {
      const now = this.#now();
      if (now < t.refreshAt) return t.headers;
      if (now < t.usableUntil) {
        // Still valid: keep using it and refresh in the background, at most every 30 s.
        if (this.#inflight === undefined && now >= this.#nextBackgroundTry) {
          this.#login().catch(() => {
            this.#nextBackgroundTry = this.#now() + BACKGROUND_RETRY_MS;
          });
        }
        return t.headers;
      }
    }
    return this.#login().then((token) => token.headers);
  }

  onUnauthorized(sent: AuthHeaders): boolean {
    // Only drop the token that was rejected: a concurrent call may already have a new one.
    if (this.#token !== undefined && sent["x-auth-token"] === this.#token.token) {
      this.#token = undefined;
    }
    return true;
  }

  /** Forgets the cached token (the next call logs in). */
  invalidate(): void {
    this.#token = undefined;
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher && this.#dispatcher !== undefined) {
      const d = this.#dispatcher;
      this.#dispatcher = undefined;
      await d.close();
    }
  }

  /** Single-flight: every caller during a login waits for the same one. */
  #login(): Promise<CachedToken> {
    this.#inflight ??= this.#requestToken().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #requestToken(): Promise<CachedToken> {
    this.#logins++;
    this.#dispatcher ??= createDispatcher({ connections: 2 });
    const body = JSON.stringify({
      auth: {
        identity: {
          methods: ["password"],
          password: {
            user: {
              name: this.#username,
              password: this.#password,
              domain: { name: this.#domainName },
            },
          },
        },
        scope: { project: this.#scope },
      },
    });
    const started = this.#now();
    let answer: Answer;
    try {
      answer = await send(
        this.#dispatcher,
        {
          origin: this.#url.origin,
          path: this.#url.pathname,
          method: "POST",
          headers: { "content-type": "application/json;charset=utf8" },
          body,
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
        },
        undefined,
        this.#timeoutMs,
        DEFAULT_MAX_RESPONSE_BYTES,
      );
      if (answer.bodyError !== undefined) throw answer.bodyError;
    } catch (err) {
      throw classifyTransportError(err, this.#url.origin, this.#timeoutMs, undefined);
    }
    const { status, headers, text } = answer;
    if (status === 400 || status === 401 || status === 403 || status === 404) {
      const api = classifyHttpError(status, headers, text);
      throw new AuthError(
        `IAM login failed: ${status} ${api.errorCode}: ${api.errorMsg}`,
        "Check the IAM user name, password and account (domain) name, that the user is allowed programmatic access, and the region or project of the token's scope.",
      );
    }
    if (status < 200 || status >= 300) throw classifyHttpError(status, headers, text);
    const token = header(headers, "x-subject-token");
    if (!token) throw new ProtocolError("IAM answered the login without an X-Subject-Token header");
    return this.#cache(token, started, expiresAtFrom(text));
  }

  #cache(token: string, issuedAt: number, expiresAt: number | undefined): CachedToken {
    const expiry = expiresAt ?? issuedAt + DEFAULT_LIFETIME_MS;
    const lifetime = Math.max(0, expiry - issuedAt);
    const margin = this.#margin ?? Math.min(MAX_MARGIN_MS, lifetime * 0.1);
    // Stop using a token a little before it expires: clocks differ, requests take time.
    const skew = Math.min(60_000, lifetime * 0.02);
    const cached: CachedToken = {
      token,
      headers: Object.freeze({ "x-auth-token": token }),
      refreshAt: expiry - margin,
      usableUntil: expiry - skew,
    };
    this.#token = cached;
    this.#nextBackgroundTry = 0;
    return cached;
  }
}

function expiresAtFrom(text: string): number | undefined {
  try {
    const body = JSON.parse(text) as { token?: { expires_at?: unknown } };
    const at = body?.token?.expires_at;
    const ms = typeof at === "string" ? Date.parse(at) : Number.NaN;
    return Number.isNaN(ms) ? undefined : ms;
  } catch {
    return undefined;
  }
}

/** Logs in as an IAM user with a password and sends the resulting token (X-Auth-Token). */
export function iamAuth(options: IamAuthOptions): IamAuth {
  return new IamAuth(options);
}
