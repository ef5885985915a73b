import { signature } from "@fgconnect/core";
import { type Emulator, type EmulatorOptions, startEmulator } from "../src/index.js";

export const PROJECT = "0123456789abcdef0123456789abcdef";

/** An emulator with auth off and no stdout log unless the test says otherwise. */
export function start(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ auth: false, log: false, ...options });
}

export function syncPath(urn: string, project = PROJECT): string {
  return `/v2/${project}/fgs/functions/${urn}/invocations`;
}
export function asyncPath(urn: string, project = PROJECT): string {
  return `/v2/${project}/fgs/functions/${urn}/invocations-async`;
}
export function legacyPath(urn: string, project = PROJECT): string {
  return `/v1.0/${project}/fss/functions/${urn}/invocations`;
}
export function statusPath(urn: string, query = "", project = PROJECT): string {
  return `/v2/${project}/fgs/functions/${urn}/async-invocations${query ? `?${query}` : ""}`;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON came back
  json: () => any;
}

export async function post(
  emu: Emulator,
  path: string,
  body: unknown = {},
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${emu.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

export async function get(
  emu: Emulator,
  path: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${emu.url}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

/** Signs a request the way the AK/SK provider does (fetch adds Host itself, so it is not sent). */
export function sign(
  emu: Emulator,
  method: string,
  pathAndQuery: string,
  body: string,
  ak: string,
  sk: string,
  options: { date?: Date; extra?: Record<string, string> } = {},
): Record<string, string> {
  const url = new URL(`${emu.url}${pathAndQuery}`);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-Project-Id": PROJECT,
    "X-Sdk-Date": signature.formatSdkDate(options.date ?? new Date()),
    ...options.extra,
    Host: url.host,
  };
  const names = signature.headersToSign(headers);
  const sig = signature.computeSignature(
    { method, path: url.pathname, query: url.searchParams, headers, body },
    names,
    sk,
  );
  const { Host: _host, ...send } = headers;
  return { ...send, Authorization: signature.authorizationHeader(ak, names, sig) };
}

export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
