// Checks (and where it can, installs) what the integration tests' servers need: Java and
// Maven for the Kafka broker and the S3-compatible server, Mosquitto and openssl, the
// redis-server binary (a coordination test restarts a Redis of its own); and the Chromium the
// status page's browser test drives (Debian's, never Playwright's download).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const mosquitto = () =>
  has("mosquitto") || ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"].some(existsSync);

const missing = [];
if (!mosquitto() || !has("openssl") || !has("redis-server")) {
  const root = process.getuid?.() === 0;
  if (root && has("apt-get")) {
    console.log("installing mosquitto, openssl and redis-server from the system's packages…");
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", "mosquitto", "openssl", "redis-server"], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  }
  if (!mosquitto()) missing.push("mosquitto (Debian/Ubuntu: apt-get install mosquitto)");
  if (!has("openssl")) missing.push("openssl");
  if (!has("redis-server"))
    missing.push("redis-server (Debian/Ubuntu: apt-get install redis-server)");
}
const CHROMIUM = "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() === 0 && has("apt-get")) {
    console.log("installing chromium from the system's packages…");
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  }
  if (!existsSync(CHROMIUM))
    missing.push(`Chromium at ${CHROMIUM} (Debian: apt-get install chromium)`);
}
if (!has("java")) missing.push("Java 17 or later (java on PATH)");
if (!has("mvn")) missing.push("Maven (mvn on PATH, with access to Maven Central)");

if (missing.length > 0) {
  console.error(`The integration tests need:\n${missing.map((m) => `  - ${m}`).join("\n")}`);
  process.exit(1);
}
