/** Several `fgconnect run` processes on one config, and what they say about their leases. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DaemonProcess, startDaemon, workDir } from "../harness/daemon.js";

export class Replicas {
  readonly all: DaemonProcess[] = [];
  readonly dirs: string[] = [];

  async start(count: number, config: (dir: string) => string): Promise<DaemonProcess[]> {
    const started = Array.from({ length: count }, () => {
      const dir = workDir("fgconnect-replica-");
      this.dirs.push(dir);
      return startDaemon(dir, config(dir), { FGCONNECT_LOG_LEVEL: "info" });
    });
    this.all.push(...started);
    // Generous: three processes starting at once on a loaded machine.
    await Promise.all(
      started.map((d) =>
        Promise.race([
          d.waitFor((l) => l.msg === "fgconnect running", 60_000),
          d.exited.then((code) => {
            throw new Error(`daemon exited with ${code} before running:\n${d.stderr()}`);
          }),
        ]),
      ),
    );
    return started;
  }

  get alive(): DaemonProcess[] {
    return this.all.filter((d) => d.child.exitCode === null && d.child.signalCode === null);
  }

  /** The replicas whose /readyz says they hold `connector`'s lease. */
  async holders(connector: string): Promise<DaemonProcess[]> {
    const answers = await Promise.all(
      this.alive.map(async (d) => {
        const body = (await (await fetch(`${d.adminUrl}/readyz`)).json()) as {
          coordination?: { leases?: Record<string, boolean> };
        };
        return body.coordination?.leases?.[connector] === true ? d : undefined;
      }),
    );
    return answers.filter((d): d is DaemonProcess => d !== undefined);
  }

  /** Waits until exactly one replica holds the lease, and returns it. */
  async leader(connector: string, timeoutMs = 20_000): Promise<DaemonProcess> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const holders = await this.holders(connector);
      if (holders.length === 1) return holders[0]!;
      if (holders.length > 1)
        throw new Error(`${holders.length} replicas hold ${connector}'s lease`);
      if (Date.now() > deadline) throw new Error(`no replica took ${connector}'s lease`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stopAll(): Promise<void> {
    for (const d of this.alive) d.child.kill("SIGTERM");
    await Promise.all(
      this.all.map((d) =>
        Promise.race([d.exited, new Promise((r) => setTimeout(r, 10_000))]).then(() => {
          if (d.child.exitCode === null) d.child.kill("SIGKILL");
        }),
      ),
    );
    // Each replica's log beside its config, for a failed test's post-mortem.
    for (const [i, d] of this.all.entries()) {
      const text = d.lines.map((l) => JSON.stringify(l)).join("\n");
      writeFileSync(join(this.dirs[i]!, "log.jsonl"), text);
    }
  }
}
