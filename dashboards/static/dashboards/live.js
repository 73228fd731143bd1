// Live refresh for boards: listen on the socket and re-render the board fragment when an
// event of this warehouse and of the board's topics arrives; show when the link is down,
// reconnect by itself and catch up by re-rendering on reconnect.
(() => {
  const root = document.getElementById("live-root");
  const indicator = document.getElementById("live");
  if (!root || !indicator) return;
  const topics = (root.dataset.topics || "").split(",");
  const topicOf = { order: "orders", wave: "orders", pick: "orders", unit: "orders", load: "orders",
                    appointment: "dock", vehicle: "dock", shipment: "shipments", alert: "alerts",
                    stock: "stock", task: "stock", tasks: "stock" };
  let pending = null;

  async function refresh() {
    pending = null;
    const response = await fetch(root.dataset.fragment, { credentials: "same-origin" });
    if (response.ok) root.innerHTML = await response.text();
  }

  function soon() {
    if (!pending) pending = setTimeout(refresh, 150); // many events at once: one refresh
  }

  function connect(delay) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/live/`);
    socket.onopen = () => {
      indicator.textContent = indicator.dataset.on;
      indicator.className = "live on";
      soon();
      delay = 500;
    };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      const topic = event.type === "load.departed" ? "shipments" : topicOf[event.type.split(".")[0]];
      if (String(event.warehouse) === root.dataset.warehouseId && topics.includes(topic)) soon();
    };
    socket.onclose = () => {
      indicator.textContent = indicator.dataset.off;
      indicator.className = "live off";
      setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
    };
  }

  connect(500);
})();
