/**
 * Real S3-compatible servers for the integration tests, fetched from Maven Central into
 * /work/main/.cache on first use and started on ports picked here:
 * - S3Proxy (org.gaul:s3proxy, transient in-memory backend, SigV2/V4 authentication with a
 *   generated key pair): the main server — it checks credentials, pages ListObjectsV2, honours
 *   conditional PUTs (If-None-Match: *, If-Match), CopyObject and DeleteObject.
 * - Adobe S3Mock (com.adobe.testing:s3mock): only for object tagging, which S3Proxy answers with
 *   501 NotImplemented. S3Mock accepts any credentials, so it cannot stand in for S3Proxy.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "./child-server.js";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CACHE = join(root, ".cache");

export const S3PROXY_VERSION = "4.1.0";
export const S3MOCK_VERSION = "4.12.4";
// S3Proxy 4.1.0 uses Jackson 3, whose annotations come from jackson-annotations 2.20+; Maven's
// nearest-wins picks an older one from another backend, so it is pinned.
const JACKSON_ANNOTATIONS = "2.22";
const JVM_FLAGS = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"];

export interface S3Server {
  kind: "s3proxy" | "s3mock";
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

/** The S3Proxy jars (cached); fetched with Maven the first time. */
export async function ensureS3Proxy(): Promise<string> {
  const dir = join(CACHE, "s3proxy", S3PROXY_VERSION);
  const lib = join(dir, "lib");
  if (existsSync(join(lib, `s3proxy-${S3PROXY_VERSION}.jar`))) return dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "pom.xml"),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>fgconnect.cache</groupId><artifactId>s3proxy-fetch</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>
<dependency><groupId>org.gaul</groupId><artifactId>s3proxy</artifactId><version>${S3PROXY_VERSION}</version></dependency>
<dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-annotations</artifactId><version>${JACKSON_ANNOTATIONS}</version></dependency>
</dependencies></project>\n`,
  );
  await run("mvn", ["-q", "-B", "dependency:copy-dependencies", `-DoutputDirectory=${lib}`], {
    cwd: dir,
    timeout: 600_000,
  });
  return dir;
}

/** The S3Mock executable jar (cached); fetched with Maven the first time. */
export async function ensureS3Mock(): Promise<string> {
  const dir = join(CACHE, "s3mock", S3MOCK_VERSION);
  const jar = join(dir, `s3mock-${S3MOCK_VERSION}-exec.jar`);
  if (existsSync(jar)) return jar;
  mkdirSync(dir, { recursive: true });
  await run(
    "mvn",
    [
      "-q",
      "-B",
      "dependency:copy",
      `-Dartifact=com.adobe.testing:s3mock:${S3MOCK_VERSION}:jar:exec`,
      `-DoutputDirectory=${dir}`,
    ],
    { cwd: dir, timeout: 600_000 },
  );
  return jar;
}

export async function startS3Proxy(): Promise<S3Server> {
  return runS3Proxy(["jclouds.provider=transient"]);
}

/** An S3 server that can be stopped and started again with its objects. */
export interface RestartableS3Server extends S3Server {
  /** Stops the server (SIGTERM) and starts it again on the same port, with the same keys and objects. */
  restart(): Promise<void>;
}

/** S3Proxy keeping its buckets in `dataDir` (filesystem backend), so a restart loses nothing. */
export async function startPersistentS3Proxy(dataDir: string): Promise<RestartableS3Server> {
  mkdirSync(dataDir, { recursive: true });
  return runS3Proxy(["jclouds.provider=filesystem", `jclouds.filesystem.basedir=${dataDir}`]);
}

async function runS3Proxy(backend: string[]): Promise<RestartableS3Server> {
  const dir = await ensureS3Proxy();
  const port = await freePort();
  const accessKeyId = `AK${randomBytes(8).toString("hex").toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString("base64url");
  const conf = join(dir, `s3proxy-${port}.conf`);
  writeFileSync(
    conf,
    [
      `s3proxy.endpoint=http://127.0.0.1:${port}`,
      "s3proxy.authorization=aws-v2-or-v4",
      `s3proxy.identity=${accessKeyId}`,
      `s3proxy.credential=${secretAccessKey}`,
      ...backend,
      "jclouds.identity=unused",
      "jclouds.credential=unused",
      "",
    ].join("\n"),
  );
  const logback = join(dir, "logback.xml");
  writeFileSync(
    logback,
    '<configuration><appender name="E" class="ch.qos.logback.core.ConsoleAppender"><encoder><pattern>%level %logger{20} - %msg%n</pattern></encoder></appender><root level="WARN"><appender-ref ref="E"/></root></configuration>\n',
  );
  const classpath = readdirSync(join(dir, "lib"))
    .map((f) => join(dir, "lib", f))
    .join(":");
  const endpoint = `http://127.0.0.1:${port}`;
  const launch = async () => {
    const child = spawn(
      "java",
      [
        ...JVM_FLAGS,
        `-Dlogback.configurationFile=${logback}`,
        "-cp",
        classpath,
        "org.gaul.s3proxy.Main",
        "--properties",
        conf,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    await waitReady(child, endpoint, "S3Proxy");
    return child;
  };
  let child = await launch();
  return {
    kind: "s3proxy",
    endpoint,
    region: "us-east-1",
    accessKeyId,
    secretAccessKey,
    restart: async () => {
      await stopChild(child);
      child = await launch();
    },
    stop: async () => {
      await stopChild(child);
      rmSync(conf, { force: true });
    },
  };
}

export async function startS3Mock(): Promise<S3Server> {
  const jar = await ensureS3Mock();
  const port = await freePort();
  const store = join(CACHE, "s3mock", `store-${port}-${process.pid}`);
  const child = spawn(
    "java",
    [
      ...JVM_FLAGS,
      "-jar",
      jar,
      // Plain HTTP on loopback for the main connector. S3Mock always adds a second HTTP
      // connector without a bind address; port 0 gives it a random port.
      "--server.ssl.enabled=false",
      `--server.port=${port}`,
      "--server.address=127.0.0.1",
      "--com.adobe.testing.s3mock.httpPort=0",
      `--com.adobe.testing.s3mock.store.root=${store}`,
      "--com.adobe.testing.s3mock.store.retain-files-on-exit=false",
      "--logging.level.root=WARN",
      "--spring.main.banner-mode=off",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  await waitReady(child, endpoint, "S3Mock");
  return {
    kind: "s3mock",
    endpoint,
    region: "us-east-1",
    accessKeyId: "any",
    secretAccessKey: "any",
    stop: async () => {
      await stopChild(child);
      rmSync(store, { recursive: true, force: true });
    },
  };
}

async function waitReady(child: ChildProcess, endpoint: string, name: string): Promise<void> {
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  let exited = false;
  child.once("exit", () => (exited = true));
  // Never outlive the test run, even when it ends without teardown.
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  child.once("exit", () => process.off("exit", reap));
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (exited) throw new Error(`${name} exited during startup:\n${output}`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill("SIGKILL");
  throw new Error(`${name} did not answer at ${endpoint} within 90 s:\n${output}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const hard = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(hard);
      done();
    });
    child.kill("SIGTERM");
  });
}
