// The blemon web dashboard: fleet health, rooms now, devices per hour, device search and a
// device's rooms over time, refreshed whenever /api/v1/events says an interval was processed.
//
// Every text from the database (names come from the radio and are untrusted) reaches the page
// through textContent or canvas drawing, never through innerHTML.
"use strict";

const state = { devices: [], selected: null, chart: null, refreshing: false };

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function setStatus(name, text) {
  const status = document.getElementById("status");
  status.dataset.state = name;
  status.textContent = text;
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(`${path}: ${response.status} ${detail}`);
  }
  return response.json();
}

function localTime(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

function replaceRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function renderFleet(fleet) {
  const staged = new Map(fleet.staging.by_monitor.map((b) => [b.monitor_name, b.unprocessed_rows]));
  const rows = fleet.monitors.map((m) => {
    const tr = el("tr");
    tr.dataset.monitor = m.monitor_name;
    tr.append(el("td", m.monitor_name, "name"), el("td", m.location || "–", "name"),
              el("td", m.health, `health health-${m.health}`), el("td", age(m.last_seen_age_seconds)),
              el("td", m.devices_24h, "num"), el("td", staged.get(m.monitor_name) || 0, "num"));
    return tr;
  });
  replaceRows(document.querySelector("#monitors tbody"), rows);
  const lease = fleet.lease.live ? `processor ${fleet.lease.holder} (epoch ${fleet.lease.epoch})`
                                 : "no live processor";
  const backlog = fleet.staging.unprocessed_rows === 0 ? "nothing waiting"
      : `${fleet.staging.unprocessed_rows} readings waiting since ${localTime(fleet.staging.oldest_unprocessed_interval)}`;
  document.getElementById("fleet-summary").textContent =
      `${fleet.monitors.length} monitors · ${lease} · ${backlog}`;
  document.getElementById("interval").textContent = `interval ${fleet.interval_seconds} s`;
}

function renderRooms(now) {
  document.getElementById("rooms-when").textContent = now.interval_start
      ? `${now.devices} devices in their stable rooms, interval from ${localTime(now.interval_start)}`
      : "No interval processed yet.";
  document.getElementById("rooms").dataset.interval = now.interval_start || "";
  const cards = now.rooms.map((room) => {
    const card = el("div", undefined, "room");
    card.dataset.room = room.room;
    card.dataset.high = String(room.high);
    const title = el("h3");
    title.append(el("span", room.room), el("span", `${room.count} · ${room.high} high`, "muted count"));
    const list = el("ul");
    for (const d of room.devices) {
      const li = el("li");
      const confidence = d.confidence || "unknown";
      li.dataset.confidence = confidence;
      li.append(el("span", d.name || d.mac, "device"),
                el("span", confidence, `confidence confidence-${confidence}`),
                el("span", `${d.rssi} dBm`, "muted"));
      // The raw winner, when the stable room held the device against a louder monitor elsewhere.
      li.title = d.raw_room === room.room ? d.mac : `${d.mac} · loudest in ${d.raw_room}`;
      list.append(li);
    }
    card.append(title, list);
    return card;
  });
  document.getElementById("rooms").replaceChildren(...cards);
}

const kColours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

function renderChart(hourly) {
  const canvas = document.getElementById("hourly-chart");
  if (typeof Chart === "undefined") {
    document.getElementById("chart-missing").hidden = false;
    return;
  }
  const hours = [...new Set(hourly.rows.map((r) => r.hour_start))].sort();
  const monitors = [...new Set(hourly.rows.map((r) => r.monitor_name))].sort();
  const datasets = monitors.map((name, i) => ({
    label: name,
    data: hours.map((h) => {
      const row = hourly.rows.find((r) => r.hour_start === h && r.monitor_name === name);
      return row ? row.unique_devices : 0;
    }),
    borderColor: kColours[i % kColours.length],
    backgroundColor: kColours[i % kColours.length],
    tension: 0.2,
  }));
  const labels = hours.map((h) => new Date(h).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
  if (state.chart) {
    state.chart.data.labels = labels;
    state.chart.data.datasets = datasets;
    state.chart.update("none");
  } else {
    state.chart = new Chart(canvas, {
      type: "line",
      data: { labels, datasets },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  canvas.dataset.points = String(hourly.rows.length);
}

function renderDevices() {
  const query = document.getElementById("device-search").value.trim().toLowerCase();
  const matches = state.devices.filter((d) => !query ||
      (d.device_name || "").toLowerCase().includes(query) || d.mac_address.toLowerCase().includes(query));
  const rows = matches.slice(0, 200).map((d) => {
    const tr = el("tr");
    tr.dataset.mac = d.mac_address;
    tr.setAttribute("aria-selected", String(d.mac_address === state.selected));
    tr.tabIndex = 0;
    tr.append(el("td", d.device_name || "(no name)", "name"), el("td", d.mac_address),
              el("td", d.monitors.join(", "), "name"),
              el("td", d.confidence ? `${d.room} (${d.confidence})` : d.room, "name"),
              el("td", d.sightings, "num"), el("td", localTime(d.last_seen)));
    tr.addEventListener("click", () => selectDevice(d));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") selectDevice(d); });
    return tr;
  });
  replaceRows(document.querySelector("#devices tbody"), rows);
}

async function selectDevice(device) {
  state.selected = device.mac_address;
  renderDevices();
  await renderTrack();
}

async function renderTrack() {
  if (!state.selected) return;
  const device = state.devices.find((d) => d.mac_address === state.selected);
  const track = await getJson(`/api/v1/devices/${encodeURIComponent(state.selected)}/track?hours=24`);
  document.getElementById("track").hidden = false;
  document.getElementById("track-title").textContent =
      `${(device && device.device_name) || state.selected}: rooms over the last 24 hours`;
  // Consecutive intervals in the same stable room are one stay; it counts its sure intervals.
  const stays = [];
  for (const p of track.track) {
    const last = stays[stays.length - 1];
    const high = p.confidence === "high" ? 1 : 0;
    if (last && last.room === p.stable_room) { last.until = p.interval_start; last.count += 1; last.high += high; }
    else stays.push({ room: p.stable_room, from: p.interval_start, until: p.interval_start, count: 1, high });
  }
  const items = stays.map((s) => {
    const li = el("li");
    li.append(el("span", localTime(s.from), "muted"), el("span", s.room),
              el("span", `${s.count} interval${s.count === 1 ? "" : "s"}, ${s.high} high`, "muted"));
    return li;
  });
  if (items.length === 0) items.push(el("li", "Not seen in the last 24 hours."));
  document.getElementById("track-list").replaceChildren(...items);
}

async function refresh() {
  if (state.refreshing) return;
  state.refreshing = true;
  try {
    const [fleet, rooms, hourly, devices] = await Promise.all([
      getJson("/api/v1/fleet?top=0&recent=0"), getJson("/api/v1/rooms/now"),
      getJson("/api/v1/reports/hourly"), getJson("/api/v1/reports/devices?hours=24")]);
    renderFleet(fleet);
    renderRooms(rooms);
    renderChart(hourly);
    state.devices = devices.rows;
    renderDevices();
    await renderTrack();
    document.body.dataset.updated = new Date().toISOString();
  } catch (e) {
    setStatus("offline", `error: ${e.message}`);
  } finally {
    state.refreshing = false;
  }
}

function listen() {
  const events = new EventSource("/api/v1/events");
  events.addEventListener("open", () => setStatus("live", "live"));
  events.addEventListener("interval", () => { setStatus("live", "live"); refresh(); });
  events.addEventListener("error", () => setStatus("offline", "reconnecting…"));
}

document.getElementById("device-search").addEventListener("input", renderDevices);
refresh();
listen();
// Health ages move on even when no interval is processed (a monitor going quiet).
setInterval(refresh, 60000);
