import { inspect } from "node:util";

/**
 * Helpers that keep credentials out of anything printable. Providers hold secrets in `#private`
 * fields (which util.inspect and JSON.stringify never show) and describe themselves with these.
 */

/** What a provider shows of itself in logs: its kind and non-secret facts, never a credential. */
export function redactedView(kind: string, facts: Record<string, unknown> = {}): object {
  return { kind, ...facts, credentials: "[redacted]" };
}

/** Installs `toJSON` and `util.inspect.custom` that print `view()` instead of the object. */
export function installRedaction(target: object, view: () => object): void {
  Object.defineProperty(target, "toJSON", { value: view, enumerable: false });
  Object.defineProperty(target, inspect.custom, {
    value: (_depth: number, options: object) =>
      `${target.constructor.name} ${inspect(view(), options)}`,
    enumerable: false,
  });
}

/** Removes `user:password@` from URLs found in free text (proxy URLs in error messages). */
export function stripUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, "$1");
}
