// A long KPI range is computed by a Celery task: show its progress, then the board.
(() => {
  const box = document.getElementById("kpi-job");
  if (!box) return;
  const bar = document.getElementById("kpi-progress");
  const text = document.getElementById("kpi-progress-text");
  async function poll() {
    const response = await fetch(box.dataset.url, { credentials: "same-origin" });
    const job = response.ok ? await response.json() : { state: "PENDING" };
    if (job.total) {
      const pct = Math.round((100 * job.done) / job.total);
      bar.value = pct;
      text.textContent = `${pct}%`;
    }
    if (job.state === "SUCCESS") {
      const url = new URL(location.href);
      url.searchParams.set("job", box.dataset.job);
      location.replace(url);
    } else if (job.state === "FAILURE") {
      text.textContent = "✗";
    } else {
      setTimeout(poll, 400);
    }
  }
  poll();
})();
