// The live link of every page: one WebSocket, with a small indicator that says when it is
// down; it reconnects by itself and the page catches up on reconnect.
//
// Events arrive as `handoff:event` on the document (detail: the event); `handoff:online`
// says the link is (back) up. Parts of a page marked `data-live-fragment="<url>"` with
// `data-topics` and `data-warehouse-id` re-render themselves when an event of theirs arrives,
// unless someone is typing in them or waiting for an answer of their own (then right after);
// what inside them is marked `data-live-keep` (with an id) stays as it is. The alert bell
// follows alert events.
(() => {
  const topicOf = { order: "orders", wave: "orders", pick: "orders", unit: "orders", load: "orders",
                    appointment: "dock", vehicle: "dock", dock: "dock", supplier_truck: "dock", shipment: "shipments", alert: "alerts",
                    stock: "stock", task: "stock", tasks: "stock", location: "stock", count: "stock",
                    receipt: "stock" };
  const topic = (type) => (type === "load.departed" ? "shipments" : topicOf[type.split(".")[0]]);
  const timers = new Map();
  const FLASH_MS = 10000;
  const ASKING_MS = 15000; // an answer slower than this no longer holds its part

  // A request sent from a part (a suggestion asked for, a form sent) is answered into the
  // elements it was aimed at when it was sent: the part does not re-render under it, or the
  // answer would land in an element no longer on the page and be lost.
  const asked = new WeakMap(); // request -> the part it was sent from
  document.addEventListener("htmx:beforeRequest", (e) => {
    const part = e.target.closest("[data-live-fragment]");
    if (!part) return;
    asked.set(e.detail.xhr, part);
    part.dataset.asking = String(Number(part.dataset.asking || 0) + 1);
    part.dataset.askedAt = String(Date.now());
  });
  document.addEventListener("htmx:afterRequest", (e) => {
    const part = asked.get(e.detail.xhr);
    if (!part) return;
    asked.delete(e.detail.xhr);
    const left = Number(part.dataset.asking || 1) - 1;
    if (left > 0) part.dataset.asking = String(left);
    else delete part.dataset.asking;
  });

  function busy(el) {
    if (el.dataset.dirty) return true; // someone is typing here
    return Boolean(el.dataset.asking) && Date.now() - Number(el.dataset.askedAt) < ASKING_MS;
  }

  async function render(el) {
    timers.delete(el);
    if (busy(el)) { soon(el, 500); return; } // later
    const response = await fetch(el.dataset.liveFragment, { credentials: "same-origin" });
    if (!response.ok) return;
    const html = await response.text();
    if (busy(el)) { soon(el, 500); return; }
    // A message an action just answered with stays a while, though the part re-renders
    // (the action's own events come back as a refresh a moment later, sometimes before the
    // action's answer: so the message is looked for now, not before the fetch).
    const flash = el.querySelector("[data-flash]");
    // A field that has the focus (nothing typed yet) gets it back in the new part, so a
    // scanner's keystrokes still land in it.
    const focused = el.contains(document.activeElement) ? document.activeElement : null;
    const key = focused && fieldKey(focused);
    // What the person asked for in this part (proposed loads, a suggested slot) stays: the
    // fresh part has an empty place of the same id for it.
    const kept = [...el.querySelectorAll("[data-live-keep]")].filter((k) => k.id);
    el.innerHTML = html;
    for (const k of kept) el.querySelector(`#${CSS.escape(k.id)}`)?.replaceWith(k);
    const again = key && el.querySelector(key);
    if (again) {
      again.closest("details")?.setAttribute("open", "");
      again.focus();
    }
    if (flash && Date.now() - Number(flash.dataset.at || 0) < FLASH_MS && !el.querySelector("[data-flash]")) {
      el.prepend(flash);
    }
    if (window.htmx) window.htmx.process(el);
    el.dispatchEvent(new CustomEvent("handoff:rendered", { bubbles: true }));
  }

  // A selector that finds the same field in a re-rendered part: its id, or its form's action
  // and its name.
  function fieldKey(field) {
    if (field.id) return `#${CSS.escape(field.id)}`;
    if (!field.name) return null;
    const action = field.form && field.form.getAttribute("action");
    return (action ? `form[action="${CSS.escape(action)}"] ` : "") + `[name="${CSS.escape(field.name)}"]`;
  }

  function soon(el, wait = 150) {
    if (!timers.has(el)) timers.set(el, setTimeout(() => render(el), wait)); // a burst: one render
  }

  async function bell() {
    const old = document.getElementById("bell");
    if (!old) return;
    const response = await fetch(old.dataset.url, { credentials: "same-origin" });
    if (!response.ok) return;
    const box = document.createElement("div");
    box.innerHTML = await response.text();
    const fresh = box.firstElementChild;
    fresh.open = old.open;
    old.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
  }

  document.addEventListener("input", (e) => {
    const part = e.target.closest("[data-live-fragment]");
    if (part) part.dataset.dirty = "1";
  });
  document.addEventListener("htmx:afterSwap", (e) => {
    const part = e.target.closest("[data-live-fragment]");
    if (part) delete part.dataset.dirty;
    e.target.querySelectorAll("[data-flash]").forEach((f) => { f.dataset.at = String(Date.now()); });
  });
  document.addEventListener("handoff:event", (e) => {
    const event = e.detail;
    for (const el of document.querySelectorAll("[data-live-fragment]")) {
      const topics = (el.dataset.topics || "").split(",");
      if (String(event.warehouse) === el.dataset.warehouseId && topics.includes(topic(event.type))) {
        soon(el, Number(el.dataset.liveDelay || 150)); // a KPI tile waits for the burst to end
      }
    }
    if (event.type.startsWith("alert.")) bell();
  });
  document.addEventListener("handoff:online", () => {
    document.querySelectorAll("[data-live-fragment]").forEach((el) => soon(el));
    bell();
  });

  function connect(delay) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/live/`);
    const indicator = document.getElementById("live");
    socket.onopen = () => {
      if (indicator) { indicator.textContent = indicator.dataset.on; indicator.className = "live on"; }
      document.dispatchEvent(new CustomEvent("handoff:online"));
      delay = 500;
    };
    socket.onmessage = (message) => {
      document.dispatchEvent(new CustomEvent("handoff:event", { detail: JSON.parse(message.data) }));
    };
    socket.onclose = () => {
      if (indicator) { indicator.textContent = indicator.dataset.off; indicator.className = "live off"; }
      setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
    };
  }

  connect(500);
})();
