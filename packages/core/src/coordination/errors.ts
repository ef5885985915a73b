/** Errors of the coordination layer: each says what happened and what to do. */

export class CoordinationError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A fenced write was refused: the lease's token is no longer the current one (another replica
 * took over, or the lease expired). The writer must stop acting; its state is the new holder's.
 */
export class LeaseLostError extends CoordinationError {
  readonly code = "LEASE_LOST";
  constructor(lease: string, token: number) {
    super(
      `the lease "${lease}" (token ${token}) is no longer held by this replica; the write was refused`,
      "another replica holds the lease now and owns this state; nothing to do",
    );
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
