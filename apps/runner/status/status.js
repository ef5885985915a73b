// Live updates for the status page: the server sends each part of the page as HTML once a second
// (the `fragments` event) and the same data as JSON (the `status` event). No build step.
const listeners = [];

/** For more sections (dead letters): `window.fgconnectStatus.onUpdate((status) => …)`. */
window.fgconnectStatus = {
  onUpdate(listener) {
    listeners.push(listener);
  },
};

const live = document.getElementById("live");
const events = new EventSource("/api/events");

events.addEventListener("open", () => {
  live.textContent = "Live: updated every second.";
});
events.addEventListener("error", () => {
  live.textContent = "Disconnected from the daemon; reconnecting…";
});

events.addEventListener("fragments", (event) => {
  const html = JSON.parse(event.data);
  for (const element of document.querySelectorAll("[data-fragment]")) {
    const next = html[element.dataset.fragment];
    if (next === undefined || element.innerHTML === next) continue;
    // A log tail the reader opened stays open across updates.
    const open = [...element.querySelectorAll("details[open]")].map((d) => d.dataset.key);
    element.innerHTML = next;
    for (const key of open)
      element.querySelector(`details[data-key="${CSS.escape(key)}"]`)?.setAttribute("open", "");
  }
});

events.addEventListener("status", (event) => {
  const status = JSON.parse(event.data);
  for (const listener of listeners) listener(status);
});
