/**
 * The status page's dead letters as HTML, for reading without JavaScript: the list as the page is
 * first served (status/dead-letters.js takes its rows over), its filter, and one entry's own page.
 * Entries hold what sources sent: every bit of them is escaped.
 */
import type { FilterOptions } from "../dlq/filter.js";
import type { ListedDeadLetter } from "../dlq/service.js";
import { esc } from "./render.js";

/** What the page's filter form sends: repeatable, any-of each. */
export type PageFilter = Pick<FilterOptions, "route" | "function" | "reason">;

const FILTERS = [
  ["route", "Route", "all routes"],
  ["function", "Function", "all functions"],
  ["reason", "Reason", "any reason"],
] as const;

/** The filter from a query string (`?route=a&reason=TIMEOUT`); empty fields filter nothing. */
export function pageFilterOf(query: Record<string, unknown> | undefined): PageFilter {
  const filter: PageFilter = {};
  for (const [name] of FILTERS) {
    const given = query?.[name];
    // The form sends one of each; of a hand-made repeat, the last counts.
    const value = (Array.isArray(given) ? given.at(-1) : given) as unknown;
    if (typeof value === "string" && value.trim()) filter[name] = [value.trim()];
  }
  return filter;
}

/** The filter form's fields, holding the filter the page was asked for. */
export function filterFields(filter: PageFilter): string {
  return FILTERS.map(
    ([name, label, placeholder]) =>
      `<label>${label} <input id="dlq-${name}" name="${name}" value="${esc(filter[name]?.[0] ?? "")}" autocomplete="off" placeholder="${placeholder}"></label>`,
  ).join("\n");
}

/**
 * The list's body, newest first. `deadLettered` is the daemon's count as the page was served:
 * the script reloads the list only once that count moves. `partial`: older entries were not read.
 */
export function deadLetterRows(
  list: { entries: ListedDeadLetter[]; partial: boolean; bytes: number } | { error: string },
  deadLettered: number,
): string {
  const body =
    "error" in list
      ? note(`The dead letters could not be read: ${list.error}`)
      : [
          list.entries.length > 0 ? list.entries.map(row).join("") : note("No dead letters."),
          list.partial
            ? note(
                `Older dead letters are not shown: this page reads the newest ${mib(list.bytes)} of the file; fgconnect dlq list and /api/dead-letters read all of it.`,
              )
            : "",
        ].join("");
  return `<tbody id="dlq-rows" data-dead-lettered="${deadLettered}">${body}</tbody>`;
}

/** The function's name out of its URN, as the list shows it. */
const functionOf = (urn: string) => urn.split(":function:")[1] ?? urn;

const href = (id: string) => `/dead-letters/${encodeURIComponent(id)}`;

function row(e: ListedDeadLetter): string {
  return `<tr data-id="${esc(e.id)}">${[
    e.deadLetteredAt,
    e.route,
    functionOf(e.target),
    e.error ? `${e.reason} (${e.error.code})` : e.reason,
    String(e.attempts),
    e.record.id,
    e.replayed ? "yes" : "no",
  ]
    .map((text) => `<td>${esc(text)}</td>`)
    .join("")}<td><a href="${esc(href(e.id))}">Inspect</a></td></tr>`;
}

const note = (text: string) => `<tr><td colspan="8" class="empty">${esc(text)}</td></tr>`;

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

/** One dead letter's page: its fields, then the whole entry as JSON. */
export function deadLetterPage(entry: ListedDeadLetter, store: string): string {
  const { record: r, error } = entry;
  const fields: [string, string][] = [
    ["Dead-lettered at", esc(entry.deadLetteredAt)],
    ["Route", esc(entry.route)],
    ["Function", `<code>${esc(entry.target)}</code>`],
    ["Mode", esc(entry.mode)],
    ["Reason", esc(entry.reason)],
    [
      "Error",
      error
        ? `${esc(`${error.code}: ${error.message}`)}${error.requestId ? ` (request <code>${esc(error.requestId)}</code>)` : ""}`
        : "—",
    ],
    ["Attempts", esc(String(entry.attempts))],
    ["First attempt at", esc(entry.firstAttemptAt ?? "—")],
    ["Record", `<code>${esc(r.id)}</code> from ${esc(r.source)}, ${esc(String(r.size))} bytes`],
    ["Record time", esc(r.timestamp)],
    ["Replayed", entry.replayed ? "yes" : "no"],
    ...(entry.replayOf
      ? [
          [
            "Replay of",
            `<a href="${esc(href(entry.replayOf))}"><code>${esc(entry.replayOf)}</code></a>`,
          ] as [string, string],
        ]
      : []),
  ];
  return document(
    `Dead letter ${entry.id}`,
    `<h1>Dead letter <code>${esc(entry.id)}</code></h1>
  <p class="live">In the ${esc(store)}.</p>
  <dl class="fields">${fields.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>
  <h2>Entry</h2>
  <pre class="entry">${esc(JSON.stringify(entry, null, 2))}</pre>
  <p>To replay it: the status page with JavaScript and the admin token, <code>fgconnect dlq replay --id ${esc(entry.id)}</code>, or <code>POST /api/dead-letters/replay</code> with <code>Authorization: Bearer &lt;admin.token&gt;</code>.</p>`,
  );
}

/** The page for an id that is not in the store (answered with 404). */
export function missingDeadLetterPage(id: string, store: string): string {
  return document(
    "No such dead letter",
    `<h1>No such dead letter</h1>
  <p>There is no dead letter with id <code>${esc(id)}</code> in the ${esc(store)}.</p>`,
  );
}

function document(title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(title)} · fgconnect</title>
  <link rel="stylesheet" href="/status/status.css">
</head>
<body>
  <nav><a href="/#dead-letters">Back to the status page</a></nav>
  <main>
  ${main}
  </main>
</body>
</html>
`;
}
