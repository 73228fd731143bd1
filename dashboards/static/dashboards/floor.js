// The floor page: a scan box for keyboard-wedge scanners (barcode + Enter), step by step,
// checked here for instant feedback and confirmed by the server, which has the last word.
// Fewer units than the task asks for (a short pick, a part moved) are sent only once the
// same quantity is entered twice. A scan the server refuses is asked for again, the scans
// before it kept; a task that is no longer this person's to do makes way for the next.
// The page's live link (live.js) refreshes the task list when the floor changes.
(() => {
  const root = document.getElementById("floor");
  if (!root) return;
  const text = JSON.parse(document.getElementById("floor-text").textContent);
  const feedback = document.getElementById("feedback");
  const fill = (s, vars) => s.replace(/%\((\w+)\)s/g, (_, k) => vars[k] ?? "");
  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  let steps = [];
  let step = 0;
  let scans = {};
  let card = null;
  let fewer = null; // the quantity below the task's that one more Enter confirms

  function say(message, good) {
    feedback.textContent = message;
    feedback.className = "feedback " + (good ? "good" : "bad");
    if (!good) beep();
  }

  function warn(message) {
    feedback.textContent = message;
    feedback.className = "feedback warn";
    beep();
  }

  function beep() {
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      tone.frequency.value = 220;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.35);
    } catch (e) { /* no sound on this device */ }
  }

  function setup() {
    card = document.getElementById("next-task");
    const form = document.getElementById("scan-form");
    steps = [];
    step = 0;
    scans = {};
    if (!card || !card.dataset.id || !form) return;
    const t = card.dataset;
    steps.push({ key: "location_barcode", prompt: text.scan_location, expect: [t.location], wrong: text.wrong_location });
    steps.push({ key: "item_code", prompt: text.scan_item, expect: [t.sku, t.gtin].filter(Boolean), wrong: text.wrong_item });
    if (t.lot) steps.push({ key: "lot_code", prompt: text.scan_lot, expect: [t.lot], wrong: text.wrong_lot });
    if (t.kind === "putaway" || t.kind === "replenish") steps.push({ key: "to_location_barcode", prompt: text.scan_target });
    const counted = t.kind === "count";
    steps.push({ key: "quantity", prompt: text.enter_quantity, number: true, preset: counted ? "" : t.quantity, asked: counted ? null : Number(t.quantity) });
    form.onsubmit = (event) => {
      event.preventDefault();
      handle(document.getElementById("scan").value.trim());
    };
    show();
  }

  function show() {
    fewer = null;
    const input = document.getElementById("scan");
    document.getElementById("scan-prompt").textContent = steps[step].prompt;
    input.value = steps[step].preset ?? "";
    input.inputMode = steps[step].number ? "numeric" : "text";
    input.focus();
    input.select();
  }

  async function handle(value) {
    const s = steps[step];
    if (s.expect && !s.expect.includes(value)) {
      say(fill(s.wrong, { expected: s.expect[0], scanned: value || "—" }), false);
      show();
      return;
    }
    if (s.number && !/^\d+$/.test(value)) {
      say(text.whole_number, false);
      show();
      return;
    }
    if (s.asked !== undefined && s.asked !== null && Number(value) < s.asked && fewer !== value) {
      fewer = value; // the box keeps it: Enter again sends it
      const vars = { quantity: value, asked: s.asked };
      warn(fill(card.dataset.kind === "pick" ? text.short_pick : text.fewer, vars));
      document.getElementById("scan").select();
      return;
    }
    scans[s.key] = s.number ? Number(value) : value;
    if (step < steps.length - 1) {
      step += 1;
      say(text.ok, true);
      show();
      return;
    }
    const t = card.dataset;
    const url = t.order ? `/api/v1/picks/${t.id}/confirm/` : `/api/v1/tasks/${t.id}/confirm/`;
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(scans),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      say(fill(text.done, { quantity: scans.quantity, item: t.sku }), true);
      refresh(true);
    } else {
      say(answer.message || response.statusText, false);
      const refused = steps.findIndex((st) => st.key in (answer.fields || {}));
      if (refused >= 0) {
        // That scan again; the ones before it stand.
        steps.slice(refused).forEach((st) => delete scans[st.key]);
        step = refused;
        show();
      } else if ([403, 404, 409].includes(response.status)) {
        refresh(true); // done or taken by someone else, or no longer open: the floor as it is
      } else {
        step = 0;
        scans = {};
        show();
      }
    }
  }

  async function refresh(force) {
    const response = await fetch(`/floor/?warehouse=${encodeURIComponent(root.dataset.warehouse)}&fragment=tasks`, { credentials: "same-origin" });
    if (!response.ok) return;
    const html = await response.text();
    // Never pull a task away from someone scanning it (the confirmation refreshes anyway).
    if (!force && step !== 0) return;
    const fresh = document.createElement("div");
    fresh.innerHTML = html;
    const next = fresh.querySelector("#next-task");
    if (!force && card && card.isConnected && next && next.parentNode === fresh && next.dataset.id === card.dataset.id) {
      // Same task: its card stays where it is, untouched, so the scan box keeps the focus and
      // whatever a scanner is typing into it (a moved node loses the focus, and a scanner's
      // Enter would then go nowhere). Only what is around it is renewed.
      const nodes = [...fresh.childNodes];
      const at = nodes.indexOf(next);
      [...root.childNodes].forEach((node) => { if (node !== card) node.remove(); });
      card.before(...nodes.slice(0, at));
      card.after(...nodes.slice(at + 1));
      return;
    }
    root.replaceChildren(...fresh.childNodes);
    setup();
  }

  // The page's live link (live.js) tells what changed; catch up when it is back.
  document.addEventListener("handoff:online", () => { if (step === 0) refresh(); });
  document.addEventListener("handoff:event", (e) => {
    const event = e.detail;
    const relevant = String(event.warehouse) === root.dataset.warehouseId && /^(tasks?|pick|stock)\./.test(event.type);
    if (relevant && step === 0) refresh(); // never pull the task away from someone mid-scan
  });

  setup();

})();

// Stock lookup: after each answer the box is ready for the next scan.
document.addEventListener("htmx:afterSwap", (e) => {
  if (e.target.id !== "lookup-result") return;
  const input = document.getElementById("lookup-code");
  if (input) input.select();
});
