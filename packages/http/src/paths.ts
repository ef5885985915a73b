/** An APIG path pattern (`/orders/{id}`, `/files/{path+}`) as a fastify route and back. */
export interface RoutePath {
  /** The fastify route: `/orders/:id`, `/files/*`. */
  url: string;
  /** Name of a last `{name+}` parameter (fastify's `*`). */
  greedy?: string;
}

export function routePath(pattern: string): RoutePath {
  let greedy: string | undefined;
  const url = pattern
    .split("/")
    .map((segment) => {
      const m = /^\{([^}+]+)(\+?)\}$/.exec(segment);
      if (!m) return segment;
      if (m[2]) {
        greedy = m[1]!;
        return "*";
      }
      return `:${m[1]}`;
    })
    .join("/");
  return greedy ? { url, greedy } : { url };
}

/** fastify's params as APIG's `pathParameters`. */
export function pathParameters(
  params: Record<string, string | undefined>,
  path: RoutePath,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (k === "*") {
      if (path.greedy) out[path.greedy] = v;
    } else out[k] = v;
  }
  return out;
}
