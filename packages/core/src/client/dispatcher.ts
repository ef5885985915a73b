import { Agent, type Dispatcher, EnvHttpProxyAgent } from "undici";

export interface DispatcherOptions {
  /** Keep-alive connections per origin. */
  connections: number;
  /** Read the proxy variables from here (tests); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] as const;

/** True when HTTPS_PROXY / HTTP_PROXY (either case) is set and non-empty. */
export function proxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return PROXY_VARS.some((name) => !!env[name]);
}

/**
 * One pooled, keep-alive dispatcher per client, built once (never per call). With a proxy
 * variable set, undici's EnvHttpProxyAgent routes through it and honours NO_PROXY; otherwise a
 * plain Agent, which skips the proxy agent's per-request URL parse.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const env = options.env ?? process.env;
  const agentOptions = { connections: options.connections };
  if (!proxyConfigured(env)) return new Agent(agentOptions);
  return new EnvHttpProxyAgent({
    ...agentOptions,
    httpProxy: env.http_proxy || env.HTTP_PROXY || undefined,
    httpsProxy: env.https_proxy || env.HTTPS_PROXY || undefined,
    noProxy: env.no_proxy ?? env.NO_PROXY,
  });
}
