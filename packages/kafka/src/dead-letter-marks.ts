/**
 * Which dead letters of one partition `dlq replay` has replayed, as the replay group's commit
 * holds them: every offset below the committed one, plus the offsets replayed past it (a filter
 * leaves gaps) listed in the commit's metadata. Pure.
 */
import { FgconnectError } from "@fgconnect/core";

const PREFIX = "fgconnect-replayed:";
/** Below the brokers' default offset.metadata.max.bytes (4096). */
const MAX_METADATA = 4000;

export class ReplayMarksError extends FgconnectError {
  readonly code = "KAFKA_DLQ_REPLAY_MARKS";
  readonly retryable = false;
}

/** The offsets listed in a commit's metadata (none when it is not ours). */
export function decodeMarks(metadata: string | null | undefined): number[] {
  if (!metadata?.startsWith(PREFIX)) return [];
  const out: number[] = [];
  for (const part of metadata.slice(PREFIX.length).split(",")) {
    if (!part) continue;
    const [a, b] = part.split("-").map(Number);
    if (!Number.isSafeInteger(a)) continue;
    for (let o = a!; o <= (Number.isSafeInteger(b) ? b! : a!); o++) out.push(o);
  }
  return out;
}

/** Offsets as ranges: `3-5,9`. */
export function encodeMarks(offsets: Iterable<number>): string {
  const sorted = [...offsets].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return `${PREFIX}${parts.join(",")}`;
}

export class PartitionMarks {
  /** The next offset not known replayed: everything below it was. */
  #committed: number;
  readonly #above = new Set<number>();
  /** Offsets read at or past the commit, in order: the commit advances over them. */
  readonly #read: number[] = [];

  constructor(
    readonly partition: number,
    committed: number,
    metadata?: string | null,
  ) {
    this.#committed = Math.max(0, committed);
    for (const o of decodeMarks(metadata)) if (o >= this.#committed) this.#above.add(o);
  }

  get committed(): number {
    return this.#committed;
  }

  isReplayed(offset: number): boolean {
    return offset < this.#committed || this.#above.has(offset);
  }

  /** A message at `offset` was read (in partition order). */
  read(offset: number): void {
    if (offset >= this.#committed) this.#read.push(offset);
  }

  mark(offset: number): void {
    if (offset >= this.#committed) this.#above.add(offset);
  }

  /** The commit that records every mark so far: the offset, and what lies replayed past it. */
  commit(): { offset: string; metadata: string } {
    while (this.#read.length > 0 && this.#above.has(this.#read[0]!)) {
      const o = this.#read.shift()!;
      this.#above.delete(o);
      this.#committed = o + 1;
    }
    for (const o of this.#above) if (o < this.#committed) this.#above.delete(o);
    const metadata = this.#above.size === 0 ? "" : encodeMarks(this.#above);
    if (metadata.length > MAX_METADATA)
      throw new ReplayMarksError(
        `partition ${this.partition}: too many replayed dead letters past the first one not replayed (offset ${this.#committed}) to record in the replay group's commit`,
        "Replay the dead letters before them first (a wider filter), or replay everything with --all.",
      );
    return { offset: String(this.#committed), metadata };
  }
}
