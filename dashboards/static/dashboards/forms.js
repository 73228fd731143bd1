// A refused action keeps what was typed: the page part comes back fresh from the server
// (htmx swaps it in), so the form's values are put back into the same form, and the cursor
// goes to the field the refusal names (`data-field` on its message), marked invalid.
// A scanning form (`data-scan`: units onto a truck, say) gets the cursor back after a
// scan that went through, ready for the next one; the fields it names in `data-keep` (the
// dock a receiver stands at) keep their values, and the cursor goes to the first empty one.
(() => {
  let sent = null; // the form of the request under way: its action and what it held

  document.addEventListener("htmx:beforeRequest", (e) => {
    const form = e.detail.elt;
    sent = form instanceof HTMLFormElement
      ? {
          action: form.getAttribute("action"),
          values: new FormData(form),
          scan: "scan" in form.dataset,
          keep: (form.dataset.keep || "").split(/\s+/).filter(Boolean),
        }
      : null;
  });

  document.addEventListener("htmx:afterSwap", (e) => {
    const refusal = e.target.querySelector("[data-flash].bad");
    const was = sent;
    sent = null;
    if (!was || !was.action) return;
    const form = e.target.querySelector(`form[action="${CSS.escape(was.action)}"]`);
    if (!form) return;
    if (!refusal) {
      for (const name of was.keep) {
        const field = form.elements.namedItem(name);
        if (field && was.values.has(name)) field.value = String(was.values.get(name));
      }
      if (was.scan) {
        const inputs = [...form.querySelectorAll("input:not([type=hidden])")];
        (inputs.find((i) => !i.value) || inputs[0])?.focus();
      }
      return;
    }
    for (const field of form.elements) {
      if (!field.name || field.type === "hidden" || !was.values.has(field.name)) continue;
      const values = was.values.getAll(field.name).map(String);
      if (field.type === "checkbox" || field.type === "radio") field.checked = values.includes(field.value);
      else field.value = values[0];
      // What was typed inside a folded part of the form is shown again, unfolded.
      if (field.value && field.type !== "checkbox" && field.type !== "radio") {
        field.closest("details")?.setAttribute("open", "");
      }
    }
    form.closest("details")?.setAttribute("open", "");
    const named = refusal.dataset.field && form.querySelector(`[name="${CSS.escape(refusal.dataset.field)}"]`);
    if (named) {
      named.closest("details")?.setAttribute("open", "");
      named.setAttribute("aria-invalid", "true");
      named.focus();
    }
    // Typed-in values are someone's work in progress: the live refresh waits for them.
    const part = form.closest("[data-live-fragment]");
    if (part) part.dataset.dirty = "1";
  });
})();
