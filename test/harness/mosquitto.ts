/**
 * Starts a real Mosquitto broker for tests: its own process, on 127.0.0.1 and a free port, with
 * a config generated into a temp dir — anonymous, with a password file, or with TLS from
 * certificates generated here. It never touches a system Mosquitto, and stops what it started.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { ChildServer, freePort } from "./child-server.js";

const BINARY = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].find(
  (p) => existsSync(p),
);
const PASSWD_TOOL = ["/usr/bin/mosquitto_passwd", "/usr/local/bin/mosquitto_passwd"].find((p) =>
  existsSync(p),
);

export interface MosquittoOptions {
  /** Users allowed in; when set, anonymous clients are refused. */
  users?: Record<string, string>;
  /** Serve mqtts:// with a CA and server certificate generated for 127.0.0.1. */
  tls?: boolean;
  /** Extra mosquitto.conf lines (applied to the listener). */
  extra?: string[];
}

export interface TlsFiles {
  ca: string;
  clientCert: string;
  clientKey: string;
}

export interface Mosquitto {
  url: string;
  port: number;
  dir: string;
  tls?: TlsFiles;
  /** Stops the broker (SIGTERM; it saves its persistence file) and starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops the broker; the state stays until `close`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Something serializable that a vitest globalSetup can `provide`. */
export interface MosquittoInfo {
  url: string;
  port: number;
  tls?: TlsFiles;
}

export function info(m: Mosquitto): MosquittoInfo {
  return { url: m.url, port: m.port, ...(m.tls ? { tls: m.tls } : {}) };
}

/** mosquitto_passwd's format when the tool is missing: `$6$` is base64(salt) and base64(sha512(password ‖ salt)). */
function passwordLine(user: string, password: string): string {
  const salt = randomBytes(12);
  const hash = createHash("sha512")
    .update(Buffer.concat([Buffer.from(password), salt]))
    .digest();
  return `${user}:$6$${salt.toString("base64")}$${hash.toString("base64")}`;
}

async function writePasswords(file: string, users: Record<string, string>): Promise<void> {
  if (PASSWD_TOOL) {
    let first = true;
    for (const [user, password] of Object.entries(users)) {
      execFileSync(PASSWD_TOOL, [...(first ? ["-c"] : []), "-b", file, user, password], {
        stdio: "ignore",
      });
      first = false;
    }
    return;
  }
  await writeFile(
    file,
    `${Object.entries(users)
      .map(([u, p]) => passwordLine(u, p))
      .join("\n")}\n`,
    { mode: 0o600 },
  );
}

function generateCertificates(dir: string): TlsFiles & { serverCert: string; serverKey: string } {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=fgconnect test CA",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.crt"),
  );
  const leaf = (name: string, cn: string, ext: string) => {
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      f(`${name}.key`),
      "-out",
      f(`${name}.csr`),
    );
    execFileSync("sh", ["-c", `printf '%s\\n' '${ext}' > ${f(`${name}.ext`)}`]);
    openssl(
      "x509",
      "-req",
      "-in",
      f(`${name}.csr`),
      "-CA",
      f("ca.crt"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      f(`${name}.ext`),
      "-out",
      f(`${name}.crt`),
    );
  };
  leaf("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost");
  leaf("client", "fgconnect-test-client", "extendedKeyUsage=clientAuth");
  return {
    ca: f("ca.crt"),
    serverCert: f("server.crt"),
    serverKey: f("server.key"),
    clientCert: f("client.crt"),
    clientKey: f("client.key"),
  };
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  if (!BINARY) throw new Error("mosquitto is not installed: apt-get install -y mosquitto");
  const dir = await mkdtemp(join(tmpdir(), "fgc-mosquitto-"));
  const port = await freePort();
  const lines = [
    // Running as root, Mosquitto would switch to user "mosquitto", who cannot read this temp dir.
    `user ${userInfo().username}`,
    "per_listener_settings false",
    "persistence true",
    `persistence_location ${dir}/`,
    "max_queued_messages 100000",
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "log_type notice",
    "log_type information",
    `listener ${port} 127.0.0.1`,
  ];
  let tls: TlsFiles | undefined;
  if (options.tls) {
    const certs = generateCertificates(dir);
    tls = { ca: certs.ca, clientCert: certs.clientCert, clientKey: certs.clientKey };
    lines.push(
      `cafile ${certs.ca}`,
      `certfile ${certs.serverCert}`,
      `keyfile ${certs.serverKey}`,
      "require_certificate false",
    );
  }
  if (options.users) {
    await writePasswords(join(dir, "passwd"), options.users);
    lines.push("allow_anonymous false", `password_file ${join(dir, "passwd")}`);
  } else {
    lines.push("allow_anonymous true");
  }
  lines.push(...(options.extra ?? []));
  const conf = join(dir, "mosquitto.conf");
  await writeFile(conf, `${lines.join("\n")}\n`);

  const server = new ChildServer({
    command: BINARY,
    args: ["-c", conf],
    readyOn: "stderr",
    ready: /mosquitto version \S+ running/,
  });
  await server.start();
  return {
    url: `${options.tls ? "mqtts" : "mqtt"}://127.0.0.1:${port}`,
    port,
    dir,
    ...(tls ? { tls } : {}),
    start: () => server.start(),
    stop: () => server.stop(),
    async restart() {
      await server.stop();
      await server.start();
    },
    async close() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
