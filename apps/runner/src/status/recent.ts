import type { InvocationEntry } from "../invocation-log.js";

/** The last `capacity` invocations, newest first: the status page's list. */
export class RecentInvocations {
  private readonly entries: InvocationEntry[] = [];

  constructor(readonly capacity = 50) {}

  add(entry: InvocationEntry): void {
    this.entries.unshift(entry);
    if (this.entries.length > this.capacity) this.entries.pop();
  }

  list(): readonly InvocationEntry[] {
    return this.entries.slice();
  }
}
