import { type Logger, silentLogger } from "../../engine/logger.js";
import { AuthError, InvalidArgumentError } from "../errors.js";
import { installRedaction, redactedView } from "../redact.js";
import { AkSkAuth } from "./aksk.js";
import {
  type CredentialsSource,
  describeSource,
  readCredentials,
  type TemporaryCredentials,
} from "./credentials-source.js";
import type { AuthHeaders, AuthProvider, AuthRequest } from "./provider.js";

export interface TemporaryAuthOptions {
  source: CredentialsSource;
  /** Refresh this long before `expires_at` (default 5 minutes). */
  refreshBeforeMs?: number;
  /**
   * After a failed read, wait this long before the next (default: a tenth of refreshBeforeMs,
   * from 100 ms to 10 s, so a broken source is tried about ten times before expiry).
   */
  retryEveryMs?: number;
  /** X-Project-Id; defaults to the client's project id. */
  projectId?: string;
  /** Told once per failure streak when a refresh fails; never given a credential. */
  logger?: Logger;
  /** Wall clock, ms since epoch (expiry times are wall-clock times). */
  now?: () => number;
  /** Reads the source; default: `readCredentials` (tests pass a fake). */
  read?: (source: CredentialsSource) => Promise<TemporaryCredentials>;
}

interface Current {
  credentials: TemporaryCredentials;
  signer: AkSkAuth;
}

/**
 * AK/SK signing with temporary credentials (access, secret, security token) that expire: they
 * are read again from their source before `expires_at`. A failed refresh keeps the current
 * credentials until they expire, warning once with what to do; past expiry, requests fail with
 * AuthError. Refreshes happen on use, in the background while the current ones are still good.
 */
export class TemporaryAkSkAuth implements AuthProvider {
  readonly kind = "aksk-temporary";
  readonly #source: CredentialsSource;
  readonly #refreshBefore: number;
  readonly #retryEvery: number;
  readonly #projectId: string | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #read: (source: CredentialsSource) => Promise<TemporaryCredentials>;
  #current: Current | undefined;
  #inflight: Promise<Current> | undefined;
  #nextTry = 0;
  #failing = false;
  /** Why the last read failed, while reads fail. */
  #lastError: AuthError | undefined;
  #refreshes = 0;

  constructor(options: TemporaryAuthOptions) {
    const { source } = options;
    const okSource =
      source &&
      (("file" in source && typeof source.file === "string" && source.file !== "") ||
        ("command" in source && Array.isArray(source.command) && source.command.length > 0));
    if (!okSource)
      throw new InvalidArgumentError("source", "give { file } or { command: [program, ...args] }");
    this.#source = source;
    this.#refreshBefore = nonNegative("refreshBeforeMs", options.refreshBeforeMs, 5 * 60_000);
    this.#retryEvery = nonNegative(
      "retryEveryMs",
      options.retryEveryMs,
      Math.max(100, Math.min(10_000, this.#refreshBefore / 10)),
    );
    this.#projectId = options.projectId;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#read = options.read ?? readCredentials;
    installRedaction(this, () =>
      redactedView(this.kind, {
        source: describeSource(source),
        expiresAt: this.expiresAt === undefined ? undefined : new Date(this.expiresAt),
        refreshes: this.#refreshes,
      }),
    );
  }

  /** When the credentials in use expire (ms since epoch), once some were read. */
  get expiresAt(): number | undefined {
    return this.#current?.credentials.expiresAt;
  }

  /** The access key id in use (not a secret: it names the key), once some were read. */
  get accessKey(): string | undefined {
    return this.#current?.credentials.accessKey;
  }

  /** Successful reads of the source so far. */
  get refreshes(): number {
    return this.#refreshes;
  }

  async headers(request: AuthRequest): Promise<AuthHeaders> {
    const now = this.#now();
    let current = this.#current;
    if (!current || now >= current.credentials.expiresAt) {
      // Nothing usable: read now, but not more often than retryEveryMs.
      if (this.#lastError && now < this.#nextTry) throw this.#lastError;
      current = await this.#refresh(true);
    } else if (now >= current.credentials.expiresAt - this.#refreshBefore && now >= this.#nextTry)
      // Still good: signed with them while the new ones are read.
      void this.#refresh(false).catch(() => undefined);
    return current.signer.headers(request);
  }

  /** A 401 may mean the credentials were revoked early: read the source again, once. */
  async onUnauthorized(sent: AuthHeaders): Promise<boolean> {
    const before = this.#current?.credentials.accessKey;
    if (!sent.authorization?.includes(`Access=${before},`)) return true;
    try {
      const next = await this.#refresh(true);
      return next.credentials.accessKey !== before;
    } catch {
      return false;
    }
  }

  /** One read at a time; `required`: there is nothing usable, so failure is the caller's. */
  #refresh(required: boolean): Promise<Current> {
    this.#inflight ??= this.#load(required).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #load(required: boolean): Promise<Current> {
    let credentials: TemporaryCredentials;
    try {
      credentials = await this.#read(this.#source);
      if (credentials.expiresAt <= this.#now()) throw new Error("they have expired already");
    } catch (error) {
      this.#nextTry = this.#now() + this.#retryEvery;
      const reason = error instanceof Error ? error.message : String(error);
      const where = describeSource(this.#source);
      const todo =
        "file" in this.#source
          ? `make sure ${this.#source.file} holds fresh credentials (access, secret, securitytoken, expires_at)`
          : `make sure "${this.#source.command.join(" ")}" prints fresh credentials as JSON`;
      const current = this.#current;
      if (!required && current) {
        if (!this.#failing)
          this.#logger.warn(
            {
              source: where,
              err: reason,
              expiresAt: new Date(current.credentials.expiresAt).toISOString(),
            },
            `could not refresh the temporary credentials; using the current ones until they expire: ${todo}`,
          );
        this.#failing = true;
        throw error;
      }
      this.#lastError = new AuthError(
        current
          ? `temporary credentials expired and a new set from ${where} could not be read: ${reason}`
          : `temporary credentials from ${where} could not be read: ${reason}`,
        `${todo[0]!.toUpperCase()}${todo.slice(1)}.`,
      );
      throw this.#lastError;
    }
    this.#lastError = undefined;
    if (this.#failing)
      this.#logger.info(
        { source: describeSource(this.#source) },
        "temporary credentials refreshed",
      );
    this.#failing = false;
    this.#refreshes += 1;
    this.#current = {
      credentials,
      signer: new AkSkAuth({
        accessKey: credentials.accessKey,
        secretKey: credentials.secretKey,
        securityToken: credentials.securityToken,
        projectId: this.#projectId,
      }),
    };
    return this.#current;
  }
}

function nonNegative(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError(field, "must be a non-negative number of ms");
  return value;
}

/** Temporary AK/SK credentials re-read from a file or a command before they expire. */
export function temporaryAuth(options: TemporaryAuthOptions): TemporaryAkSkAuth {
  return new TemporaryAkSkAuth(options);
}
