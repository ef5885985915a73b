/**
 * Faults injected into one function, for testing how callers cope. Ratios are exact by default:
 * with ratio 0.3, exactly 3 of every 10 calls fail (calls 4, 7 and 10), so tests never flake.
 * Pass `random` to the emulator to draw them instead (e.g. `seededRandom(42)`).
 */
export interface Fault {
  /** Milliseconds added before the call is handled. */
  latencyMs?: number;
  /** A share of calls answered with an API error instead of running the function. */
  failure?: {
    ratio: number;
    /** HTTP status (default 503). */
    status?: number;
    /** Error code (default `FSS.0<status>`, e.g. FSS.0503). */
    code?: string;
    message?: string;
  };
  /** At most this many invocations of the function at once; more get 429 FSS.0429. */
  maxConcurrency?: number;
  /** A share of invocations whose handler is made to throw (a function error). */
  functionErrorRatio?: number;
}

export function validateFault(fault: Fault, where: string): void {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  const ratio = (r: unknown, name: string) => {
    if (typeof r !== "number" || !(r >= 0 && r <= 1)) fail(`${name} must be a number from 0 to 1`);
  };
  if (fault.latencyMs !== undefined && !(fault.latencyMs >= 0)) fail("latencyMs must be >= 0");
  if (fault.failure) {
    ratio(fault.failure.ratio, "failure.ratio");
    const s = fault.failure.status;
    if (s !== undefined && !(Number.isInteger(s) && s >= 400 && s <= 599)) {
      fail("failure.status must be an HTTP error status (400-599)");
    }
  }
  if (fault.maxConcurrency !== undefined && !(fault.maxConcurrency >= 0)) {
    fail("maxConcurrency must be >= 0");
  }
  if (fault.functionErrorRatio !== undefined) ratio(fault.functionErrorRatio, "functionErrorRatio");
}

/** Decides, call after call, whether a ratio hits: exactly (counting) or by a random source. */
export class RatioGate {
  private calls = 0;
  constructor(private readonly random?: () => number) {}

  hit(ratio: number): boolean {
    if (ratio <= 0) return false;
    if (this.random) return this.random() < ratio;
    const n = this.calls++;
    // Hits when the running total floor(n * ratio) steps up: spreads hits evenly and exactly.
    return Math.floor((n + 1) * ratio + 1e-9) > Math.floor(n * ratio + 1e-9);
  }
}

/** The live fault state of one function. */
export class FaultState {
  readonly failureGate: RatioGate;
  readonly errorGate: RatioGate;
  constructor(
    readonly fault: Fault,
    random?: () => number,
  ) {
    this.failureGate = new RatioGate(random);
    this.errorGate = new RatioGate(random);
  }

  failureHits(): boolean {
    return this.fault.failure ? this.failureGate.hit(this.fault.failure.ratio) : false;
  }

  functionErrorHits(): boolean {
    return this.fault.functionErrorRatio
      ? this.errorGate.hit(this.fault.functionErrorRatio)
      : false;
  }
}

/** A small seeded PRNG (mulberry32) for reproducible random faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
