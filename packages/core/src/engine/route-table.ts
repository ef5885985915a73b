/**
 * One generation of routes: the router, a batcher per route, and where each route's batches
 * go. A reload swaps the engine's table between two records; batches opened under the old
 * table are sent with the old route's policy, because each job carries its own target.
 *
 * The lanes (one Dispatcher per route name × function) outlive a table: a route kept across a
 * reload keeps its lanes, so batches of one ordering key still go out one after another.
 */
import { Batcher } from "./batcher.js";
import type { Clock } from "./clock.js";
import { type DeliveryTarget, deliveryTarget } from "./delivery.js";
import { Dispatcher } from "./dispatcher.js";
import type { PendingRecord } from "./pending.js";
import { type ResolvedRoute, Router } from "./router.js";

/** One batch for one function of one route, under the policy it was batched with. */
export interface DeliveryJob {
  target: DeliveryTarget;
  batch: PendingRecord[];
}

/** Every route's lanes to each of its functions, made when first needed, kept after. */
export class Lanes {
  readonly #lanes = new Map<string, Dispatcher<DeliveryJob>>();

  constructor(
    private readonly run: (job: DeliveryJob) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  of(route: ResolvedRoute, urn: string): Dispatcher<DeliveryJob> {
    const key = `${route.name}\u0000${urn}`;
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = new Dispatcher(this.run, this.onError);
      this.#lanes.set(key, lane);
    }
    return lane;
  }

  /** Forgets queued jobs (at a hard stop). */
  clear(): void {
    for (const lane of this.#lanes.values()) lane.clear();
  }
}

export class RouteTable {
  readonly router: Router;
  readonly #batchers = new Map<string, Batcher<PendingRecord>>();

  constructor(
    readonly routes: readonly ResolvedRoute[],
    clock: Clock,
    lanes: Lanes,
    signal: AbortSignal,
  ) {
    this.router = new Router(routes);
    for (const route of routes) {
      const outs = route.to.map((urn) => ({
        lane: lanes.of(route, urn),
        target: deliveryTarget(route, urn, signal),
      }));
      this.#batchers.set(
        route.name,
        new Batcher<PendingRecord>(route.batch, clock, (key, batch) => {
          for (const out of outs) out.lane.dispatch(key, { target: out.target, batch });
        }),
      );
    }
  }

  /** Adds a matched record to its route's open batch. */
  add(route: ResolvedRoute, key: string | undefined, pending: PendingRecord, bytes: number): void {
    this.#batchers.get(route.name)!.add(key, pending, bytes);
  }

  /** Sends every open batch now. */
  flushAll(): void {
    for (const b of this.#batchers.values()) b.flushAll();
  }

  /** Drops every open batch (at a hard stop). */
  clear(): void {
    for (const b of this.#batchers.values()) b.clear();
  }
}
