/**
 * Contiguous commits for one partition. Records are delivered out of order (per key, or when a
 * batch is retried), but a Kafka commit says "everything before this offset is handled", so the
 * committable offset is the first offset not yet delivered or dead-lettered. Offsets may have
 * gaps (compaction, transaction markers): the gap is covered once the records around it are.
 */
interface Entry {
  offset: number;
  done: boolean;
}

export class PartitionCommits {
  /** Pushed records in offset order; entries before #head are settled. */
  readonly #queue: Entry[] = [];
  #head = 0;
  #pending = 0;
  /** Next offset after everything read so far (fetch position); starts at the first read. */
  #end: number | undefined;
  #committed: number | undefined;
  #abandoned = false;

  /** The first offset not yet read (records below it were pushed, or skipped as not ours). */
  get end(): number | undefined {
    return this.#end;
  }

  /** Records pushed and without an outcome. */
  get inFlight(): number {
    return this.#pending;
  }

  /** The last offset committed (or confirmed committed) for this partition. */
  get committed(): number | undefined {
    return this.#committed;
  }

  /** Was this offset already read (pushed) by this tracker? A re-fetch after a rejoin is skipped. */
  seen(offset: number): boolean {
    return this.#end !== undefined && offset < this.#end;
  }

  /** A record was pushed. Offsets must increase. */
  add(offset: number): void {
    if (this.#end !== undefined && offset < this.#end) {
      throw new Error(`offset ${offset} is below the read position ${this.#end}`);
    }
    this.#queue.push({ offset, done: false });
    this.#pending++;
    this.#end = offset + 1;
  }

  /** Everything up to `offset` was read (a batch's last offset, which may be a transaction marker). */
  readUpTo(offset: number): void {
    if (this.#end === undefined || offset + 1 > this.#end) this.#end = offset + 1;
  }

  /** The record was delivered or dead-lettered. */
  settle(offset: number): void {
    const entry = this.#find(offset);
    if (!entry || entry.done) return;
    entry.done = true;
    this.#pending--;
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.done) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** The record was given back undelivered: nothing at or after it may be committed. */
  abandon(offset: number): void {
    const entry = this.#find(offset);
    if (entry && !entry.done) this.#abandoned = true;
  }

  /** The unsettled part of the queue is sorted by offset: binary search (no per-record index). */
  #find(offset: number): Entry | undefined {
    let lo = this.#head;
    let hi = this.#queue.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.#queue[mid]!.offset;
      if (at === offset) return this.#queue[mid];
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** The offset to commit now (Kafka's "next offset to read"), or undefined when nothing is new. */
  committable(): number | undefined {
    const pending = this.#queue[this.#head];
    const next = pending ? pending.offset : this.#abandoned ? undefined : this.#end;
    if (next === undefined) return undefined;
    if (this.#committed !== undefined && next <= this.#committed) return undefined;
    return next;
  }

  markCommitted(offset: number): void {
    if (this.#committed === undefined || offset > this.#committed) this.#committed = offset;
  }
}
