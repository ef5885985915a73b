/**
 * The FunctionGraph client as a config file describes it (the daemon's `functiongraph:`):
 * endpoint, region, project id, auth, timeouts, pool. Defaults are the client's own
 * (options.ts); `authFromConfig` turns the `auth` section into a provider.
 */
import { resolve } from "node:path";
import { z } from "zod";
import { type Logger, silentLogger } from "../engine/logger.js";
import { akskAuth } from "./auth/aksk.js";
import { iamAuth } from "./auth/iam.js";
import type { AuthProvider } from "./auth/provider.js";
import { temporaryAuth } from "./auth/temporary.js";
import { tokenAuth } from "./auth/token.js";
import { DEFAULT_CONNECTIONS, DEFAULT_TIMEOUT_MS } from "./options.js";

const temporaryAuthSchema = z
  .object({
    type: z.literal("temporary"),
    file: z
      .string()
      .min(1)
      .optional()
      .describe(
        "JSON file re-read before the credentials expire: STS's answer `{credential: {access, secret, securitytoken, expires_at}}` or its inner object. Relative to the config file.",
      ),
    command: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "Program and arguments (no shell) that print that JSON; run before the credentials expire.",
      ),
    refreshBeforeMs: z
      .number()
      .int()
      .min(0)
      .default(300_000)
      .describe("Refresh this long before `expires_at`, in ms."),
  })
  .strict()
  .refine((a) => (a.file === undefined) !== (a.command === undefined), {
    message: "give exactly one of file and command",
  })
  .describe(
    "Temporary AK/SK credentials with a security token, refreshed before they expire; a failed refresh keeps the current ones until they expire.",
  );

export const authConfigSchema = z
  .discriminatedUnion("type", [
    z
      .object({
        type: z
          .literal("none")
          .describe("No credentials (the embedded emulator, or an emulator run with --no-auth)."),
      })
      .strict(),
    z
      .object({
        type: z.literal("token"),
        token: z
          .string()
          .min(1)
          .describe("An IAM token, sent as X-Auth-Token. Use ${ENV_VAR}; never commit it."),
      })
      .strict()
      .describe("A static IAM token."),
    z
      .object({
        type: z.literal("password"),
        username: z.string().min(1).describe("IAM user name."),
        password: z.string().min(1).describe("IAM user password. Use ${ENV_VAR}; never commit it."),
        domain: z.string().min(1).describe("Account (domain) name that owns the IAM user."),
        iamEndpoint: z
          .url()
          .optional()
          .describe("IAM endpoint. Default: https://iam.<region>.myhuaweicloud.com."),
      })
      .strict()
      .describe("IAM password login; the token is cached and refreshed before it expires."),
    z
      .object({
        type: z.literal("aksk"),
        accessKey: z.string().min(1).optional().describe("Access key. Default: $CLOUD_SDK_AK."),
        secretKey: z.string().min(1).optional().describe("Secret key. Default: $CLOUD_SDK_SK."),
        securityToken: z
          .string()
          .min(1)
          .optional()
          .describe("Security token of temporary credentials."),
      })
      .strict()
      .describe("AK/SK request signing (SDK-HMAC-SHA256)."),
    temporaryAuthSchema,
  ])
  .describe("How requests to FunctionGraph are authenticated.");

export type AuthConfig = z.output<typeof authConfigSchema>;

export const functiongraphConfigSchema = z
  .object({
    endpoint: z
      .url()
      .optional()
      .describe(
        "Invocation endpoint, e.g. https://functiongraph.cn-north-4.myhuaweicloud.com. Default: from `region`, or the embedded emulator.",
      ),
    region: z
      .string()
      .min(1)
      .optional()
      .describe("Region, e.g. cn-north-4; gives the endpoint and completes short URNs."),
    projectId: z
      .string()
      .regex(/^[A-Za-z0-9]{32}$/, "a project id is 32 letters or digits")
      .optional()
      .describe(
        "Project id (32 letters or digits). Default with the embedded emulator: the emulator's.",
      ),
    auth: authConfigSchema.default({ type: "none" }),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_TIMEOUT_MS)
      .describe("Timeout of one invocation, in ms."),
    connections: z
      .number()
      .int()
      .min(1)
      .default(DEFAULT_CONNECTIONS)
      .describe("Keep-alive connections to the endpoint."),
  })
  .strict()
  .describe("Where and how to invoke FunctionGraph.");

export type FunctionGraphConfig = z.output<typeof functiongraphConfigSchema>;

/**
 * The provider an `auth` section describes (undefined for `none`). `baseDir` anchors a
 * relative credentials file; `logger` hears failed refreshes of temporary credentials.
 */
export function authFromConfig(
  auth: AuthConfig,
  context: { region?: string; baseDir?: string; logger?: Logger } = {},
): AuthProvider | undefined {
  switch (auth.type) {
    case "none":
      return undefined;
    case "token":
      return tokenAuth(auth.token);
    case "password":
      return iamAuth({
        username: auth.username,
        password: auth.password,
        domainName: auth.domain,
        region: context.region,
        ...(auth.iamEndpoint ? { endpoint: auth.iamEndpoint } : {}),
      });
    case "aksk":
      return akskAuth({
        accessKey: auth.accessKey,
        secretKey: auth.secretKey,
        securityToken: auth.securityToken,
      });
    case "temporary":
      return temporaryAuth({
        source: auth.file
          ? { file: resolve(context.baseDir ?? ".", auth.file) }
          : { command: auth.command! },
        refreshBeforeMs: auth.refreshBeforeMs,
        logger: context.logger ?? silentLogger,
      });
  }
}
