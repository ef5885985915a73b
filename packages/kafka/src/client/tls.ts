/** The connector's `tls` option as Node's TLS options, for either client library. */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { KafkaConnection } from "../options.js";

/** Undefined for plaintext; `true` becomes the system CAs' defaults. */
export function tlsOptions(tls: KafkaConnection["tls"]): ConnectionOptions | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return {};
  const read = (text: string | undefined, file: string | undefined) =>
    text ?? (file ? readFileSync(file, "utf8") : undefined);
  const out: ConnectionOptions = { rejectUnauthorized: tls.rejectUnauthorized };
  const ca = read(tls.ca, tls.caFile);
  const cert = read(tls.cert, tls.certFile);
  const key = read(tls.key, tls.keyFile);
  if (ca) out.ca = [ca];
  if (cert) out.cert = cert;
  if (key) out.key = key;
  if (tls.servername) out.servername = tls.servername;
  return out;
}
