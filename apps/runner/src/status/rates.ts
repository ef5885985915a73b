/** How far back a rate looks: long enough to smooth bursts, short enough to follow changes. */
const WINDOW_MS = 10_000;

/**
 * Per-second rates of growing counters, from samples taken about once a second: the change
 * over the last WINDOW_MS divided by the time it took.
 */
export class Rates {
  private readonly samples: { at: number; values: Map<string, number> }[] = [];

  sample(at: number, values: Map<string, number>): void {
    this.samples.push({ at, values: new Map(values) });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= WINDOW_MS) this.samples.shift();
  }

  /** Per second; 0 until two samples exist. */
  perSecond(key: string): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at <= first.at) return 0;
    const delta = (last.values.get(key) ?? 0) - (first.values.get(key) ?? 0);
    return (delta * 1000) / (last.at - first.at);
  }
}
