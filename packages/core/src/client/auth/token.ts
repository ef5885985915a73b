import { InvalidArgumentError } from "../errors.js";
import { installRedaction, redactedView } from "../redact.js";
import type { AuthHeaders, AuthProvider } from "./provider.js";

/**
 * A static IAM token sent as `X-Auth-Token` (obtained elsewhere, valid up to 24 h). It cannot
 * refresh itself, so it has no `onUnauthorized`: a 401 is reported as is.
 */
export class TokenAuth implements AuthProvider {
  readonly kind = "token";
  /** Built once: the client sees the same object every call and reuses its merged headers. */
  readonly #headers: AuthHeaders;

  constructor(token: string) {
    if (typeof token !== "string" || token.trim() === "") {
      throw new InvalidArgumentError("token", "must be a non-empty IAM token string");
    }
    if (/[\r\n]/.test(token)) {
      throw new InvalidArgumentError("token", "must not contain line breaks");
    }
    this.#headers = Object.freeze({ "x-auth-token": token.trim() });
    installRedaction(this, () => redactedView(this.kind));
  }

  headers(): AuthHeaders {
    return this.#headers;
  }
}

/** Authenticates every request with a static IAM token (`X-Auth-Token`). */
export function tokenAuth(token: string): TokenAuth {
  return new TokenAuth(token);
}
