// The status page's dead letters: listed from /api/dead-letters (again whenever a route's
// dead-letter count moves), inspected one at a time, replayed with the admin token.
const rows = document.getElementById("dlq-rows");
const detail = document.getElementById("dlq-detail");
const message = document.getElementById("dlq-message");
const route = document.getElementById("dlq-route");
const token = document.getElementById("dlq-token");

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
    const actions = document.createElement("td");
    actions.append(button("Inspect", "inspect", e.id), " ", button("Replay", "replay", e.id));
    tr.append(
      cell(e.deadLetteredAt),
      cell(e.route),
      cell(fn),
      cell(e.error ? `${e.reason} (${e.error.code})` : e.reason),
      cell(String(e.attempts)),
      cell(e.record.id),
      cell(e.replayed ? "yes" : "no"),
      actions,
    );
    rows.append(tr);
  }
}

async function load() {
  const query = route.value ? `?route=${encodeURIComponent(route.value)}` : "";
  const answer = await fetch(`/api/dead-letters${query}`);
  const data = await answer.json();
  if (!answer.ok) {
    message.textContent = data.error;
    return;
  }
  render(data.entries);
}

async function inspect(id) {
  const answer = await fetch(`/api/dead-letters/${encodeURIComponent(id)}`);
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

document.getElementById("dlq-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void replay(route.value ? { route: route.value } : { every: true });
});
route.addEventListener("change", () => void load());

let seen;
window.fgconnectStatus?.onUpdate((status) => {
  const count = status.routes.reduce((n, r) => n + r.deadLettered, 0);
  if (count !== seen) {
    seen = count;
    void load();
  }
});
void load();
