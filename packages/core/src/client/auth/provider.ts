/**
 * How the client authenticates: it asks a provider for the headers to add to each request.
 * One interface covers a static IAM token, an IAM password login and AK/SK signing, so the
 * client never branches on the kind of credential.
 */

/** The request as it will be sent, minus the provider's own headers. */
export interface AuthRequest {
  method: string;
  /** `https://host[:port]`, never with credentials. */
  origin: string;
  /** `host[:port]` as the Host header carries it (default ports omitted). */
  host: string;
  /** The path without the query, exactly as sent (the URN with literal `:` and `!`). */
  path: string;
  /** Query parameters, unencoded; undefined when there is no query. */
  query: Record<string, string> | undefined;
  /** The headers the client will send (lower-case names). Do not mutate. */
  headers: Readonly<Record<string, string>>;
  /** The body bytes (a string is sent as UTF-8). */
  body: string | Uint8Array;
  /** The client's project id (AK/SK sends it as X-Project-Id). */
  projectId: string;
}

/** Headers to add. Lower-case names, so they replace the client's own headers of the same name. */
export type AuthHeaders = Readonly<Record<string, string>>;

export interface AuthProvider {
  /** A short name for logs and errors ("token", "iam", "aksk"). Never a credential. */
  readonly kind: string;
  /**
   * The headers that authenticate `request`. Return the same object each time when nothing
   * changed (a static token does): the client then reuses its merged headers instead of
   * building new ones per call.
   */
  headers(request: AuthRequest): AuthHeaders | Promise<AuthHeaders>;
  /**
   * Called when FunctionGraph answered 401 to a request that carried `sent` (what `headers`
   * returned). Return true to have the client retry that request once with fresh headers
   * (a token provider drops the rejected token); the client never retries a second time.
   */
  onUnauthorized?(sent: AuthHeaders): boolean | Promise<boolean>;
  /** Releases what the provider holds (an IAM provider's connection pool). */
  close?(): Promise<void>;
}
