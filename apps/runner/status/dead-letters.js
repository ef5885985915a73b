// The status page's dead letters: the server renders the list as the page is served; this takes
// its rows over (adding Replay), lists again from /api/dead-letters whenever a route's
// dead-letter count moves or the filter changes, inspects in place, replays with the admin token.
const rows = document.getElementById("dlq-rows");
const detail = document.getElementById("dlq-detail");
const message = document.getElementById("dlq-message");
const filterForm = document.getElementById("dlq-filter");
const replayForm = document.getElementById("dlq-form");
const token = document.getElementById("dlq-token");
const FILTERS = ["route", "function", "reason"];

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function button(label, action, id) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.action = action;
  b.dataset.id = id;
  return b;
}

function actions(id) {
  const td = document.createElement("td");
  td.append(button("Inspect", "inspect", id), " ", button("Replay", "replay", id));
  return td;
}

function render(entries) {
  rows.replaceChildren();
  if (entries.length === 0) {
    const td = cell("No dead letters.");
    td.colSpan = 8;
    td.className = "empty";
    rows.append(document.createElement("tr"));
    rows.lastChild.append(td);
    return;
  }
  for (const e of entries) {
    const tr = document.createElement("tr");
    tr.dataset.id = e.id;
    const fn = e.target.split(":function:")[1] ?? e.target;
    tr.append(
      cell(e.deadLetteredAt),
      cell(e.route),
      cell(fn),
      cell(e.error ? `${e.reason} (${e.error.code})` : e.reason),
      cell(String(e.attempts)),
      cell(e.record.id),
      cell(e.replayed ? "yes" : "no"),
      actions(e.id),
    );
    rows.append(tr);
  }
}

/** The filter's fields that are filled in. */
function filter() {
  const given = {};
  for (const name of FILTERS) {
    const value = filterForm.elements[name].value.trim();
    if (value) given[name] = value;
  }
  return given;
}

/** The token typed in, sent with reads too: beyond loopback, dead letters need it. */
function auth() {
  return token.value ? { authorization: `Bearer ${token.value}` } : {};
}

async function load() {
  const query = new URLSearchParams(filter()).toString();
  const answer = await fetch(`/api/dead-letters${query ? `?${query}` : ""}`, { headers: auth() });
  const data = await answer.json();
  if (!answer.ok) {
    message.textContent = data.error;
    return;
  }
  render(data.entries);
}

async function inspect(id) {
  const answer = await fetch(`/api/dead-letters/${encodeURIComponent(id)}`, { headers: auth() });
  const data = await answer.json();
  detail.textContent = answer.ok ? JSON.stringify(data.entry, null, 2) : data.error;
  detail.hidden = false;
  detail.focus();
}

async function replay(body) {
  message.textContent = "Replaying…";
  const answer = await fetch("/api/dead-letters/replay", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token.value}` },
    body: JSON.stringify(body),
  });
  const data = await answer.json();
  message.textContent = answer.ok
    ? `Replayed ${data.replayed}: ${data.delivered} delivered, ${data.deadLettered} dead-lettered again; ${data.skipped} already replayed.`
    : `Refused (${answer.status}): ${data.error}`;
  await load();
}

rows.addEventListener("click", (event) => {
  const b = event.target.closest("button[data-action]");
  if (!b) return;
  if (b.dataset.action === "inspect") void inspect(b.dataset.id);
  else void replay({ id: b.dataset.id, all: true });
});

replayForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const given = filter();
  void replay(Object.keys(given).length > 0 ? given : { every: true });
});
filterForm.addEventListener("submit", (event) => {
  event.preventDefault();
  // The address keeps the filter, so a reload (which renders on the server) shows the same.
  const query = new URLSearchParams(filter()).toString();
  history.replaceState(null, "", `/${query ? `?${query}` : ""}#dead-letters`);
  void load();
});
filterForm.addEventListener("change", () => void load());
token.addEventListener("change", () => void load());

// Take the server's rows over: same cells, with buttons for the links it rendered.
for (const tr of rows.querySelectorAll("tr[data-id]"))
  tr.lastElementChild.replaceWith(actions(tr.dataset.id));
replayForm.hidden = false;

// The count the server's list was read at: list again only once it moves.
let seen = Number(rows.dataset.deadLettered);
window.fgconnectStatus?.onUpdate((status) => {
  const count = status.routes.reduce((n, r) => n + r.deadLettered, 0);
  if (count !== seen) {
    seen = count;
    void load();
  }
});
