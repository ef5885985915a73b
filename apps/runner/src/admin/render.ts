import type { InvocationEntry } from "../invocation-log.js";
import type { StatusSnapshot } from "../status/snapshot.js";

/**
 * The status page's live parts, rendered on the server: as the page is first served (so it reads
 * without JavaScript) and, as the same HTML, in each `fragments` event that the page's script
 * swaps into the element with the matching `data-fragment`. Add a part by adding a renderer here
 * and an element `<… data-fragment="name"><!--fragment:name--></…>` to status/index.html.
 */
export type FragmentRenderer = (status: StatusSnapshot) => string;

export const fragments: Record<string, FragmentRenderer> = {
  overview: (s) =>
    [
      `Engine <strong>${esc(s.engine.state)}</strong>`,
      `${s.engine.inFlight} in flight`,
      `${s.engine.buffered.records} buffered`,
      `dead-letter sink ${s.deadLetter.ok ? "writable" : `<strong>failing</strong>: ${esc(s.deadLetter.reason ?? "")}`}`,
      ...(s.coordination
        ? [
            `coordination (${esc(s.coordination.engine)}) ${s.coordination.connected ? "connected" : `<strong>not connected</strong>: ${esc(s.coordination.detail)}`}`,
          ]
        : []),
      `as of <time datetime="${esc(s.at)}">${esc(clock(s.at))}</time>`,
    ].join(" · "),
  connectors: (s) =>
    rows(
      s.connectors.map((c) =>
        row([
          `<th scope="row">${esc(c.name)}</th>`,
          cell(c.type),
          `<td><span class="state state-${esc(c.state)}">${esc(c.state)}</span>${c.detail ? `<br><small>${esc(c.detail)}</small>` : ""}</td>`,
          cell(c.lease ?? "—"),
          num(c.lag),
          num(c.received),
          num(c.inPerSecond),
          num(c.outPerSecond),
        ]),
      ),
      8,
      "No connectors.",
    ),
  routes: (s) =>
    rows(
      s.routes.map((r) =>
        row([
          `<th scope="row">${esc(r.name)}</th>`,
          cell(r.from),
          cell(r.to.join(", ")),
          cell(r.mode),
          num(r.delivered),
          num(r.retried),
          num(r.deadLettered),
          num(r.latencyMs?.p50),
          num(r.latencyMs?.p99),
          num(r.inFlight),
        ]),
      ),
      10,
      "No routes.",
    ),
  invocations: (s) => rows(s.invocations.map(invocationRow), 6, "No invocations yet."),
};

/**
 * Fills each `<!--fragment:name-->` of the page template: from `once`, the parts rendered only
 * as the page is served (not in events), or else by the fragment renderers.
 */
export function renderPage(
  template: string,
  status: StatusSnapshot,
  once: Record<string, string> = {},
): string {
  return template.replace(/<!--fragment:([A-Za-z]+)-->/g, (slot, name: string) => {
    if (Object.hasOwn(once, name)) return once[name]!;
    const render = fragments[name];
    return render ? render(status) : slot;
  });
}

/** Every fragment, for one `fragments` event. */
export function renderFragments(status: StatusSnapshot): Record<string, string> {
  return Object.fromEntries(Object.entries(fragments).map(([name, r]) => [name, r(status)]));
}

function invocationRow(e: InvocationEntry): string {
  const at = new Date(e.at).toISOString();
  const outcome = e.error ? `${e.outcome}: ${e.error}` : e.outcome;
  const log = e.logTail
    ? `<details data-key="${esc(`${e.at}-${e.requestId ?? ""}`)}"><summary>log tail</summary><pre>${esc(e.logTail)}</pre></details>`
    : "—";
  return row([
    `<td><time datetime="${at}">${clock(at)}</time></td>`,
    cell(e.function),
    num(e.durationMs),
    `<td><code>${esc(e.requestId ?? "—")}</code></td>`,
    `<td><span class="outcome outcome-${esc(e.outcome)}">${esc(outcome)}</span></td>`,
    `<td>${log}</td>`,
  ]);
}

function rows(items: string[], columns: number, empty: string): string {
  return items.length > 0
    ? items.join("")
    : `<tr><td colspan="${columns}" class="empty">${esc(empty)}</td></tr>`;
}

const row = (cells: string[]) => `<tr>${cells.join("")}</tr>`;
const cell = (text: string) => `<td>${esc(text)}</td>`;
const num = (n: number | undefined) =>
  `<td class="num">${n === undefined ? "—" : n.toLocaleString("en-US")}</td>`;

/** HH:MM:SS.mmm (UTC) of an ISO time. */
function clock(iso: string): string {
  return `${iso.slice(11, 23)} UTC`;
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
