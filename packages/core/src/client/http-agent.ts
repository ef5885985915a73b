import { createRequire } from "node:module";
import type { Agent, Dispatcher, EnvHttpProxyAgent } from "undici";

// undici's index loads all of undici (fetch, WebSocket, caches, mocks): ~14 MB of RSS in every
// daemon that needs only its Agent, whose file loads alone (the package has no exports map).
// That path is not undici's public API: package.json pins undici to the version it was checked
// with, a test fails if the file moves, and a moved file falls back to the public entry.
// The proxy agents rely on methods the index adds, so they come with the whole of it.
const load = createRequire(import.meta.url);

/** The file of undici's Agent, loaded alone. */
export const AGENT_PATH = "undici/lib/dispatcher/agent.js";

/** undici's Agent class: its own file when it is there, else from the public entry. */
export function loadAgent(): typeof Agent {
  try {
    return load(AGENT_PATH);
  } catch {
    return load("undici").Agent;
  }
}

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
  if (!proxyConfigured(env)) {
    const AgentClass = loadAgent();
    return new AgentClass(agentOptions);
  }
  const ProxyAgentClass: typeof EnvHttpProxyAgent = load("undici").EnvHttpProxyAgent;
  return new ProxyAgentClass({
    ...agentOptions,
    httpProxy: env.http_proxy || env.HTTP_PROXY || undefined,
    httpsProxy: env.https_proxy || env.HTTPS_PROXY || undefined,
    noProxy: env.no_proxy ?? env.NO_PROXY,
  });
}
