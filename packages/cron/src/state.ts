import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** What survives a restart: per schedule, the latest tick that was delivered or dead-lettered. */
export interface CronState {
  lastFire: Record<string, string>;
}

export async function loadState(path: string): Promise<CronState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { lastFire: {} };
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<CronState>;
  return { lastFire: { ...(parsed.lastFire ?? {}) } };
}

/** Write-then-rename, so a crash mid-write leaves the previous state intact. */
export async function saveState(path: string, state: CronState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, path);
}
