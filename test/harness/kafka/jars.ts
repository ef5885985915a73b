/**
 * The broker's jars: `org.apache.kafka:kafka_2.13` and its runtime dependencies, resolved from
 * Maven Central by Maven into a git-ignored cache, once per version.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const CACHE_DIR = resolve(import.meta.dirname, "../../../.cache/kafka");

function pom(version: string): string {
  // slf4j-simple gives the broker a log (to stderr, captured in its data dir); 1.7.x matches
  // the slf4j-api that both 3.9 and 4.x depend on.
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>fgconnect.test</groupId><artifactId>kafka-broker</artifactId><version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`;
}

/** Folder holding every jar of Kafka `version` (fetched on first use). */
export async function kafkaJars(version: string): Promise<string> {
  const dir = join(CACHE_DIR, version);
  const done = join(dir, ".complete");
  if (existsSync(done)) return dir;
  await rm(dir, { recursive: true, force: true });
  const work = join(CACHE_DIR, `pom-${version}`);
  await mkdir(work, { recursive: true });
  await writeFile(join(work, "pom.xml"), pom(version));
  try {
    await run(
      "mvn",
      [
        "-q",
        "-B",
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        `-DoutputDirectory=${dir}`,
      ],
      { cwd: work, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const out = (error as { stdout?: string }).stdout ?? "";
    throw new Error(
      `could not fetch Kafka ${version} from Maven Central (mvn dependency:copy-dependencies in ${work}):\n${out.slice(-2000)}`,
    );
  }
  await writeFile(done, new Date().toISOString());
  return dir;
}
