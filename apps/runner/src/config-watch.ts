/**
 * `run --watch`: calls back when the config file's content changes. The directory is watched,
 * not the file, so an editor that writes a new file and renames it over the old one (vim,
 * most IDEs) or a Kubernetes ConfigMap swapping its `..data` link is still seen; bursts of
 * events are debounced, and a callback comes only when the bytes differ from the last seen.
 */
import { watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";

export interface ConfigWatcher {
  close(): void;
}

export async function watchConfig(
  file: string,
  onChange: () => void,
  options: {
    debounceMs?: number;
    /** The bytes the running config was read from: a change made since is not missed. */
    loaded?: Buffer;
    onError?: (err: unknown) => void;
  } = {},
): Promise<ConfigWatcher> {
  const debounceMs = options.debounceMs ?? 300;
  const read = () => readFile(file).catch(() => undefined);
  let last = options.loaded ?? (await read());
  let timer: NodeJS.Timeout | undefined;
  const name = basename(file);
  const check = async () => {
    const now = await read();
    // A missing file (between an editor's delete and its rename) is no change yet.
    if (now === undefined || last?.equals(now)) return;
    last = now;
    onChange();
  };
  const watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
    // Some platforms give no name; a ConfigMap changes `..data`, not the file's own entry.
    if (changed && changed !== name && !changed.startsWith("..")) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
  });
  watcher.on("error", (err) => options.onError?.(err));
  if (options.loaded) void check();
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
