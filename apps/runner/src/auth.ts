import { type AuthProvider, akskAuth, iamAuth, tokenAuth } from "@fgconnect/core";
import type { Config } from "./config/schema.js";

/** The configured credentials as a client auth provider (none for `type: none`). */
export function createAuth(
  auth: Config["functiongraph"]["auth"],
  region: string | undefined,
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
        region,
        ...(auth.iamEndpoint ? { endpoint: auth.iamEndpoint } : {}),
      });
    case "aksk":
      return akskAuth({
        accessKey: auth.accessKey,
        secretKey: auth.secretKey,
        securityToken: auth.securityToken,
      });
  }
}
