/**
 * Ordering: jobs that share a lane run strictly one after another, in the order they were
 * dispatched; jobs in different lanes (and jobs with no lane) run concurrently. How many
 * invocations run at once is bounded separately, by the Semaphore, held only while invoking —
 * a lane waiting out a retry backoff takes no invocation slot.
 */
interface Lane<J> {
  jobs: J[];
  /** The running job; those before it are done (a moving head: a hot key queues thousands). */
  head: number;
}

export class KeyLanes<J> {
  readonly #lanes = new Map<string, Lane<J>>();

  /** `run` handles every job (one runner, not a closure per job: thousands are queued). */
  constructor(
    private readonly run: (job: J) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Lanes with work queued or running. */
  get activeLanes(): number {
    return this.#lanes.size;
  }

  dispatch(lane: string | undefined, job: J): void {
    if (lane === undefined) {
      try {
        this.run(job).catch(this.onError);
      } catch (error) {
        this.onError(error);
      }
      return;
    }
    const queued = this.#lanes.get(lane);
    if (queued) {
      queued.jobs.push(job);
      return;
    }
    const started: Lane<J> = { jobs: [job], head: 0 };
    this.#lanes.set(lane, started);
    void this.#drain(lane, started);
  }

  async #drain(name: string, lane: Lane<J>): Promise<void> {
    for (; lane.head < lane.jobs.length; lane.head++) {
      try {
        await this.run(lane.jobs[lane.head]!);
      } catch (error) {
        this.onError(error);
      }
      if (lane.head >= 1024) {
        lane.jobs.splice(0, lane.head + 1);
        lane.head = -1;
      }
    }
    this.#lanes.delete(name);
  }

  /** Forgets queued jobs (at a hard stop); running ones finish on their own. */
  clear(): void {
    for (const lane of this.#lanes.values()) lane.jobs.length = lane.head + 1;
  }
}
