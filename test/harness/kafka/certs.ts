/**
 * A throwaway PKI for the broker's SSL listener: a CA, the broker's certificate (for
 * 127.0.0.1 and localhost) and a client certificate, all PEM, made with openssl.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Pki {
  /** CA certificate, PEM. */
  ca: string;
  /** The client's certificate and private key, PEM. */
  clientCert: string;
  clientKey: string;
  /** Broker key + certificate chain (PEM keystore) and the CA (PEM truststore), as files. */
  brokerKeystore: string;
  truststore: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run("openssl", args, { cwd: dir });
}

async function issue(dir: string, name: string, subject: string, ext: string): Promise<void> {
  await openssl(dir, [
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    `${name}.key`,
  ]);
  await openssl(dir, [
    "req",
    "-new",
    "-key",
    `${name}.key`,
    "-subj",
    subject,
    "-out",
    `${name}.csr`,
  ]);
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-sha256",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  ]);
}

export async function createPki(dir: string): Promise<Pki> {
  await openssl(dir, [
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    "ca.key",
  ]);
  await openssl(dir, [
    "req",
    "-x509",
    "-new",
    "-key",
    "ca.key",
    "-subj",
    "/CN=fgconnect test CA",
    "-days",
    "2",
    "-sha256",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    "ca.crt",
  ]);
  await issue(
    dir,
    "broker",
    "/CN=localhost",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  await issue(dir, "client", "/CN=fgconnect-client", "extendedKeyUsage=clientAuth\n");
  // Kafka's PEM keystore wants an unencrypted PKCS#8 key followed by the certificate.
  await openssl(dir, ["pkcs8", "-topk8", "-nocrypt", "-in", "broker.key", "-out", "broker.p8"]);
  const read = (f: string) => readFile(join(dir, f), "utf8");
  const [ca, brokerKey, brokerCert, clientCert, clientKey] = await Promise.all(
    ["ca.crt", "broker.p8", "broker.crt", "client.crt", "client.key"].map(read),
  );
  const brokerKeystore = join(dir, "broker-keystore.pem");
  await writeFile(brokerKeystore, `${brokerKey}${brokerCert}`);
  return {
    ca: ca!,
    clientCert: clientCert!,
    clientKey: clientKey!,
    brokerKeystore,
    truststore: join(dir, "ca.crt"),
  };
}
