import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** What survives a restart: per schedule, the latest tick that was delivered or dead-lettered. */
export interface CronState {
  lastFire: Record<string, string>;
}

/**
 * Where the state is kept: a local file by default; with several replicas, a store they share
 * whose writes are fenced by the lease, so only the current leader's ticks are recorded.
 */
export interface CronStateStore {
  /** For messages: the file, or where the shared store is. */
  readonly location: string;
  load(): Promise<CronState>;
  save(state: CronState): Promise<void>;
}

export function fileStateStore(path: string): CronStateStore {
  return { location: path, load: () => loadState(path), save: (state) => saveState(path, state) };
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
