/** A progress bar for `dlq replay` on a terminal (cli-progress); nothing when piped. */
import cliProgress from "cli-progress";

export interface Progress {
  tick(): void;
  stop(): void;
}

export function progressBar(total: number, stream: NodeJS.WriteStream = process.stdout): Progress {
  if (!stream.isTTY || total === 0) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: "replaying [{bar}] {value}/{total} {percentage}% | {eta_formatted} left",
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    tick: () => bar.increment(),
    stop: () => bar.stop(),
  };
}
