/** The four invocation endpoints, matched without regular expressions or URL objects. */
export type RouteKind = "sync" | "async" | "legacy" | "status";

export interface Route {
  kind: RouteKind;
  projectId: string;
  /** The `{function_urn}` segment, percent-decoded. */
  urn: string;
  /** The path as received (signatures are computed over it) and the raw query string. */
  path: string;
  query: string;
}

/** Which method each endpoint takes. */
export const ROUTE_METHOD: Record<RouteKind, string> = {
  sync: "POST",
  async: "POST",
  legacy: "POST",
  status: "GET",
};

/** Matches `/v2/{p}/fgs/functions/{urn}/{invocations|invocations-async|async-invocations}` and
 * `/v1.0/{p}/fss/functions/{urn}/invocations`; undefined for anything else. */
export function matchRoute(url: string): Route | undefined {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? "" : url.slice(q + 1);
  // ["", version, project, service, "functions", urn, action]
  const parts = path.split("/");
  if (parts.length !== 7 || parts[0] !== "" || parts[4] !== "functions") return undefined;
  const [, version, projectId, service, , rawUrn, action] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  let kind: RouteKind | undefined;
  if (version === "v2" && service === "fgs") {
    if (action === "invocations") kind = "sync";
    else if (action === "invocations-async") kind = "async";
    else if (action === "async-invocations") kind = "status";
  } else if (version === "v1.0" && service === "fss" && action === "invocations") {
    kind = "legacy";
  }
  if (!kind || projectId === "" || rawUrn === "") return undefined;
  return { kind, projectId, urn: decode(rawUrn), path, query };
}

function decode(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
