/**
 * One Apache Kafka broker in KRaft mode (combined broker + controller, single node), run from
 * the official jars on ports it picks, with three client listeners: PLAINTEXT, SASL_PLAINTEXT
 * (PLAIN and SCRAM-SHA-256/512) and SSL (mutual TLS). `stop()` then `start()` restarts the same
 * broker on the same ports and data directory.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../child-server.js";
import { createPki, type Pki } from "./certs.js";
import { kafkaJars } from "./jars.js";

const run = promisify(execFile);

export interface SaslUser {
  username: string;
  password: string;
}

export interface BrokerInfo {
  version: string;
  /** host:port of the PLAINTEXT listener. */
  plaintext: string;
  /** host:port of the SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). */
  sasl: string;
  /** host:port of the SSL listener (client certificate required). */
  ssl: string;
  users: { plain: SaslUser; scram256: SaslUser; scram512: SaslUser };
  tls: Pick<Pki, "ca" | "clientCert" | "clientKey">;
  dataDir: string;
}

const JVM_FLAGS = [
  "-Xms128m",
  "-Xmx512m",
  "-XX:+UseSerialGC",
  "-XX:TieredStopAtLevel=1",
  "-Xshare:auto",
  "-Djava.awt.headless=true",
  "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
  "-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info",
  "-Dorg.slf4j.simpleLogger.log.kafka.server.BrokerServer=info",
];

function serverProperties(dataDir: string, ports: number[], pki: Pki, plain: SaslUser): string {
  const [p, s, t, c] = ports;
  const scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${c}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:${p},SASL_PLAINTEXT://127.0.0.1:${s},SSL://127.0.0.1:${t},CONTROLLER://127.0.0.1:${c}
advertised.listeners=PLAINTEXT://127.0.0.1:${p},SASL_PLAINTEXT://127.0.0.1:${s},SSL://127.0.0.1:${t}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${join(dataDir, "logs")}
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=true
message.max.bytes=10485760
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${plain.username}="${plain.password}";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=${scram}
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${scram}
ssl.keystore.type=PEM
ssl.keystore.location=${pki.brokerKeystore}
ssl.truststore.type=PEM
ssl.truststore.location=${pki.truststore}
ssl.client.auth=required
ssl.endpoint.identification.algorithm=
`;
}

export class KafkaBroker {
  private process?: ChildProcess;
  private exited?: Promise<void>;

  private constructor(
    readonly info: BrokerInfo,
    private readonly jars: string,
    private readonly config: string,
  ) {}

  /** Fetches the jars if needed, formats a fresh data dir, and starts the broker. */
  static async create(version: string): Promise<KafkaBroker> {
    const jars = await kafkaJars(version);
    const dataDir = await mkdtemp(join(tmpdir(), `fgconnect-kafka-${version}-`));
    const pkiDir = join(dataDir, "pki");
    await mkdir(pkiDir);
    const pki = await createPki(pkiDir);
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const users = {
      plain: { username: "plain-user", password: randomBytes(12).toString("hex") },
      scram256: { username: "scram256-user", password: randomBytes(12).toString("hex") },
      scram512: { username: "scram512-user", password: randomBytes(12).toString("hex") },
    };
    const config = join(dataDir, "server.properties");
    await writeFile(config, serverProperties(dataDir, ports, pki, users.plain));
    await run(
      "java",
      [
        ...JVM_FLAGS,
        "-cp",
        `${jars}/*`,
        "kafka.tools.StorageTool",
        "format",
        "-t",
        randomUUID().replaceAll("-", "").slice(0, 22),
        "-c",
        config,
        "--add-scram",
        `SCRAM-SHA-256=[name=${users.scram256.username},password=${users.scram256.password}]`,
        "--add-scram",
        `SCRAM-SHA-512=[name=${users.scram512.username},password=${users.scram512.password}]`,
      ],
      { maxBuffer: 4 * 1024 * 1024 },
    );
    const info: BrokerInfo = {
      version,
      plaintext: `127.0.0.1:${ports[0]}`,
      sasl: `127.0.0.1:${ports[1]}`,
      ssl: `127.0.0.1:${ports[2]}`,
      users,
      tls: { ca: pki.ca, clientCert: pki.clientCert, clientKey: pki.clientKey },
      dataDir,
    };
    const broker = new KafkaBroker(info, jars, config);
    await broker.start();
    return broker;
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  /** Starts the broker and resolves once it serves clients. */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.process) return;
    const log = createWriteStream(join(this.info.dataDir, "broker.log"), { flags: "a" });
    const child = spawn(
      "java",
      [...JVM_FLAGS, "-cp", `${this.jars}/*`, "kafka.Kafka", this.config],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.process = child;
    this.exited = new Promise((resolve) =>
      child.once("exit", () => {
        this.process = undefined;
        log.end();
        resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      let seen = "";
      const timer = setTimeout(
        () => fail(new Error(`Kafka did not start within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        log.write(chunk);
        seen = (seen + chunk.toString("utf8")).slice(-4096);
        if (/Kafka Server started|\[KafkaRaftServer nodeId=\d+\] Kafka Server started/.test(seen)) {
          clearTimeout(timer);
          resolve();
        }
      };
      const onExit = () => fail(new Error("Kafka exited while starting"));
      const fail = async (error: Error) => {
        clearTimeout(timer);
        const tail = await readFile(join(this.info.dataDir, "broker.log"), "utf8").catch(() => "");
        reject(new Error(`${error.message}; log tail:\n${tail.slice(-3000)}`));
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", onExit);
      void this.exited!.then(() => child.off("exit", onExit));
    });
  }

  /** Stops the broker (SIGTERM: a clean shutdown; SIGKILL after `graceMs`). */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.process;
    if (!child) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Stops the broker and deletes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.info.dataDir, { recursive: true, force: true });
  }
}
