import { type Raw, type Report, rawList, rawObject } from "./raw.js";

/** Where each connector type takes its credentials instead. */
const CREDENTIAL_FIELDS: Record<string, string> = {
  kafka: "`sasl`",
  mqtt: "`username` and `password`",
  s3: "`credentials`",
};

/**
 * A user name or password inside an endpoint or broker URL would show wherever the URL is
 * logged: refused, pointing at the field meant for it. The URL itself is never repeated.
 */
export function checkUrlCredentials(config: Raw, report: Report): void {
  const fg = rawObject(config.functiongraph);
  if (fg) {
    check(fg.endpoint, ["functiongraph", "endpoint"], "`functiongraph.auth`", report);
    const auth = rawObject(fg.auth);
    if (auth)
      check(
        auth.iamEndpoint,
        ["functiongraph", "auth", "iamEndpoint"],
        "`username` and `password`",
        report,
      );
  }
  for (const [name, value] of Object.entries(rawObject(config.connectors) ?? {})) {
    const connector = rawObject(value);
    if (!connector) continue;
    const fields =
      CREDENTIAL_FIELDS[String(connector.type)] ?? "the connector's credential options";
    const at = ["connectors", name];
    for (const key of ["endpoint", "url", "brokers"])
      check(connector[key], [...at, key], fields, report);
    const dlq = rawObject(connector.deadLetter);
    if (dlq) check(dlq.brokers, [...at, "deadLetter", "brokers"], fields, report);
  }
}

function check(value: unknown, path: (string | number)[], fields: string, report: Report): void {
  if (Array.isArray(value)) {
    rawList(value).forEach((v, i) => {
      check(v, [...path, i], fields, report);
    });
    return;
  }
  if (typeof value === "string" && hasUserInfo(value))
    report(
      path,
      `holds credentials (user:password@); remove them from the URL and give them in ${fields}, from the environment`,
    );
}

/** `scheme://user[:pass]@host…`, or `user[:pass]@host:port` for a broker. */
function hasUserInfo(url: string): boolean {
  const authority = url.includes("://") ? url.slice(url.indexOf("://") + 3) : url;
  const end = authority.search(/[/?#]/);
  return (end < 0 ? authority : authority.slice(0, end)).includes("@");
}
