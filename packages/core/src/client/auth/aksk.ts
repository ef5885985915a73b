import { AuthError, InvalidArgumentError } from "../errors.js";
import { installRedaction, redactedView } from "../redact.js";
import type { AuthHeaders, AuthProvider, AuthRequest } from "./provider.js";
import {
  authorizationHeader,
  computeSignature,
  formatSdkDate,
  headersToSign,
} from "./signature.js";

export interface AkSkAuthOptions {
  /** Access key id. With secretKey; when both are absent, read from the environment. */
  accessKey?: string;
  secretKey?: string;
  /** Security token of temporary credentials (sent, and signed, as X-Security-Token). */
  securityToken?: string;
  /** X-Project-Id; defaults to the client's project id. */
  projectId?: string;
  /** Where to look for the keys when none are given; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Environment variables tried in order: the SDK examples' names, then the SDK's own. */
const ENV_PAIRS = [
  ["CLOUD_SDK_AK", "CLOUD_SDK_SK"],
  ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"],
] as const;

/**
 * AK/SK request signing (SDK-HMAC-SHA256, see signature.ts): every header the client sends is
 * signed, plus Host, X-Sdk-Date, X-Project-Id and, for temporary credentials, X-Security-Token.
 * Keys live in private fields; printing the provider shows none of them.
 */
export class AkSkAuth implements AuthProvider {
  readonly kind = "aksk";
  readonly #ak: string;
  readonly #sk: string;
  readonly #securityToken: string | undefined;
  readonly #projectId: string | undefined;
  /** Where the keys came from ("options" or an env var name), for logs. */
  readonly source: string;

  constructor(options: AkSkAuthOptions = {}) {
    let { accessKey, secretKey } = options;
    let source = "options";
    if (accessKey === undefined && secretKey === undefined) {
      const env = options.env ?? process.env;
      const pair = ENV_PAIRS.find(([ak, sk]) => env[ak] && env[sk]);
      if (pair === undefined) {
        throw new AuthError(
          "no AK/SK credentials: none were given and CLOUD_SDK_AK/CLOUD_SDK_SK (or HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK) are not set",
          "Pass accessKey and secretKey, or set CLOUD_SDK_AK and CLOUD_SDK_SK in the environment.",
        );
      }
      accessKey = env[pair[0]];
      secretKey = env[pair[1]];
      source = pair[0];
    }
    if (typeof accessKey !== "string" || accessKey.trim() === "") {
      throw new AuthError(
        "AK/SK credentials: the access key is missing",
        "Give accessKey with secretKey.",
      );
    }
    if (typeof secretKey !== "string" || secretKey === "") {
      throw new AuthError(
        "AK/SK credentials: the secret key is missing",
        "Give secretKey with accessKey.",
      );
    }
    if (/[\s,]/.test(accessKey)) {
      throw new InvalidArgumentError("accessKey", "must not contain spaces or commas");
    }
    const { securityToken, projectId } = options;
    if (
      securityToken !== undefined &&
      (typeof securityToken !== "string" || securityToken === "" || /[\r\n]/.test(securityToken))
    ) {
      throw new InvalidArgumentError(
        "securityToken",
        "must be a non-empty string without line breaks",
      );
    }
    if (projectId !== undefined && !/^[A-Za-z0-9]{32}$/.test(projectId)) {
      throw new InvalidArgumentError("projectId", "must be 32 letters or digits");
    }
    this.#ak = accessKey;
    this.#sk = secretKey;
    this.#securityToken = securityToken;
    this.#projectId = projectId;
    this.source = source;
    installRedaction(this, () =>
      redactedView(this.kind, { source, temporary: securityToken !== undefined }),
    );
  }

  headers(req: AuthRequest): AuthHeaders {
    // A new object per call: the signature covers this request's date, path and body.
    const added: Record<string, string> = {
      host: req.host,
      "x-sdk-date": formatSdkDate(new Date()),
      "x-project-id": this.#projectId ?? req.projectId,
    };
    if (this.#securityToken !== undefined) added["x-security-token"] = this.#securityToken;
    const all = { ...req.headers, ...added };
    const signed = headersToSign(all);
    const signature = computeSignature(
      { method: req.method, path: req.path, query: req.query, headers: all, body: req.body },
      signed,
      this.#sk,
    );
    added.authorization = authorizationHeader(this.#ak, signed, signature);
    return added;
  }
}

/**
 * Signs requests with an access key and secret key (SDK-HMAC-SHA256). Without keys, reads
 * CLOUD_SDK_AK / CLOUD_SDK_SK, then HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK; throws AuthError
 * when none are found.
 */
export function akskAuth(options?: AkSkAuthOptions): AkSkAuth {
  return new AkSkAuth(options);
}
