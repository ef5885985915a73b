import {
  type AuthProvider,
  akskAuth,
  createClient,
  type FunctionGraphClient,
  regionFromHost,
  tokenAuth,
} from "@fgconnect/core";
import { CommanderError } from "commander";
import { EXIT_USAGE } from "./shared.js";

/** Where `fgconnect invoke` sends the call when no config file is used. */
export interface TargetOptions {
  endpoint?: string;
  region?: string;
  project?: string;
}

/** An IAM token for X-Auth-Token (ours: FunctionGraph's SDKs sign with AK/SK instead). */
export const ENV_TOKEN = "FGCONNECT_AUTH_TOKEN";
/** The official SDK's variables for the project and for temporary credentials' token. */
export const ENV_PROJECT = "HUAWEICLOUD_SDK_PROJECT_ID";
export const ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
const AKSK_PAIRS = [
  ["CLOUD_SDK_AK", "CLOUD_SDK_SK"],
  ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"],
] as const;

const usage = (message: string) => new CommanderError(EXIT_USAGE, "fgconnect.target", message);

export function hasTarget(o: TargetOptions): boolean {
  return o.endpoint !== undefined || o.region !== undefined || o.project !== undefined;
}

/**
 * Credentials from the environment: $FGCONNECT_AUTH_TOKEN, else an AK/SK pair
 * (CLOUD_SDK_AK/SK or HUAWEICLOUD_SDK_AK/SK, with $HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary
 * ones), else none (an emulator run with --no-auth).
 */
export function authFromEnv(env: NodeJS.ProcessEnv): AuthProvider | undefined {
  const token = env[ENV_TOKEN];
  if (token) return tokenAuth(token);
  if (AKSK_PAIRS.some(([ak, sk]) => env[ak] && env[sk])) {
    const securityToken = env[ENV_SECURITY_TOKEN] || undefined;
    return akskAuth({ env, ...(securityToken ? { securityToken } : {}) });
  }
  return undefined;
}

/**
 * A client for `--endpoint`/`--region` and `--project` (or $HUAWEICLOUD_SDK_PROJECT_ID). A short
 * URN needs a region to become a full one: from --region, else from a FunctionGraph host name.
 */
export function clientFromFlags(
  o: TargetOptions,
  urn: string,
  env: NodeJS.ProcessEnv = process.env,
): FunctionGraphClient {
  if (o.endpoint === undefined && o.region === undefined)
    throw usage(
      "--project needs --endpoint <url> or --region <region> (e.g. cn-north-4) to know where to call",
    );
  const projectId = o.project ?? env[ENV_PROJECT];
  if (!projectId)
    throw usage(
      `no project id: give --project <id> or set ${ENV_PROJECT}\n  → it is the 32-character id under My Credentials > API Credentials, for the region you call (an emulator prints its own)`,
    );
  if (o.region === undefined && !urn.startsWith("urn:") && !endpointRegion(o.endpoint))
    throw usage(
      `"${urn}" is a short URN and the endpoint names no region: add --region <region> (an emulator prints its own), or give the full urn:fss:… URN`,
    );
  return createClient({
    endpoint: o.endpoint,
    region: o.region,
    projectId,
    auth: authFromEnv(env),
  });
}

function endpointRegion(endpoint: string | undefined): string | undefined {
  try {
    return endpoint === undefined ? undefined : regionFromHost(new URL(endpoint).hostname);
  } catch {
    return undefined; // the client names a bad URL
  }
}
