// Drives Debian's chromium (headless, through playwright-core) over the blemon-web dashboard.
//   node dashboard.cjs URL ARTIFACT_DIR
// Checks that monitors, rooms (stable rooms with their confidence) and the chart render, that a hostile device name shows as text,
// and (after printing WAITING_FOR_INTERVAL, on which the driver processes a new interval) that
// the page updates by itself. Screenshots go to ARTIFACT_DIR. Exit 0 when all holds.
"use strict";

const path = require("path");
const fs = require("fs");
const os = require("os");
const { chromium } = require(path.join(process.env.BLEMON_NODE_MODULES, "playwright-core"));

const [url, artifacts] = process.argv.slice(2);
const HOSTILE = "<img src=x onerror=alert(1)>";
const failures = [];

function check(condition, message) {
  if (!condition) failures.push(message);
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "blemon-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.BLEMON_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1100, height: 1400 },
  });
  try {
    const page = await context.newPage();
    const dialogs = [];
    page.on("dialog", async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
    const consoleErrors = [];
    page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
    const outside = [];
    page.on("request", (r) => { if (!r.url().startsWith(url)) outside.push(r.url()); });

    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.updated, null, { timeout: 30000 });
    const monitors = await page.$$eval("#monitors tbody tr", (rows) => rows.map((r) => r.dataset.monitor));
    check(JSON.stringify(monitors) === JSON.stringify(["Bedroom", "Kitchen", "LivingRoom"]),
          `monitors shown: ${JSON.stringify(monitors)}`);
    const rooms = await page.$$eval(".room", (cards) => cards.map((c) => c.dataset.room));
    check(rooms.length >= 1, `rooms shown: ${JSON.stringify(rooms)}`);
    // Each stable room card counts its high-confidence devices, and every device says how sure
    // its room is: the processor decided one for each, except the hostile row the driver wrote
    // by SQL without one ("unknown").
    const cards = await page.$$eval(".room", (all) => all.map((c) => ({
      high: c.dataset.high,
      confidences: [...c.querySelectorAll("li")].map((li) => li.dataset.confidence),
      badges: [...c.querySelectorAll("li .confidence")].map((b) => b.textContent),
    })));
    const all = cards.flatMap((c) => c.confidences);
    check(all.filter((x) => x === "unknown").length === 1 &&
          cards.every((c) => c.confidences.length > 0 &&
                             c.confidences.every((x) => ["high", "low", "ambiguous", "unknown"].includes(x)) &&
                             JSON.stringify(c.badges) === JSON.stringify(c.confidences) &&
                             Number(c.high) === c.confidences.filter((x) => x === "high").length),
          `room cards and their confidence: ${JSON.stringify(cards)}`);
    const chart = await page.evaluate(() => {
      const canvas = document.getElementById("hourly-chart");
      const instance = typeof Chart !== "undefined" && Chart.getChart(canvas);
      return { points: Number(canvas.dataset.points || 0), datasets: instance ? instance.data.datasets.length : 0,
               width: canvas.width };
    });
    check(chart.points > 0 && chart.datasets === 3 && chart.width > 0, `chart: ${JSON.stringify(chart)}`);

    // The hostile name is text in the rooms, the device table and the track, and no <img> exists.
    const hostile = await page.$$eval(".room .device", (spans, name) =>
        spans.filter((s) => s.textContent === name).length, HOSTILE);
    check(hostile === 1, `hostile name shown as text ${hostile} times in the rooms`);
    await page.fill("#device-search", "onerror");
    const found = await page.$$eval("#devices tbody tr", (rows) => rows.map((r) => r.cells[0].textContent));
    check(found.length === 1 && found[0] === HOSTILE, `search for 'onerror' found ${JSON.stringify(found)}`);
    await page.click("#devices tbody tr");
    await page.waitForSelector("#track-list li", { timeout: 10000 });
    const title = await page.textContent("#track-title");
    check(title.startsWith(HOSTILE), `track title: ${title}`);
    const images = await page.evaluate(() => document.querySelectorAll("img").length);
    check(images === 0, `${images} <img> elements on the page`);
    await page.fill("#device-search", "");

    // Live update: the driver processes a new interval; the page must follow by itself.
    const before = await page.getAttribute("#rooms", "data-interval");
    console.log("WAITING_FOR_INTERVAL");
    try {
      await page.waitForFunction((old) => document.getElementById("rooms").dataset.interval !== old,
                                 before, { timeout: 90000 });
    } catch (e) {
      failures.push(`the page did not update after a new interval (still ${before})`);
    }
    const status = await page.textContent("#status");
    check(status === "live", `status: ${status}`);
    await page.screenshot({ path: path.join(artifacts, "dashboard.png"), fullPage: true });

    // A phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(1000);  // the chart follows the new size on its next frame
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `on a 390 px screen the page is ${overflow} px too wide`);
    await page.screenshot({ path: path.join(artifacts, "dashboard-phone.png"), fullPage: true });

    check(dialogs.length === 0, `dialogs opened (script ran from data): ${JSON.stringify(dialogs)}`);
    check(outside.length === 0, `requests left the server: ${JSON.stringify(outside)}`);
    check(consoleErrors.length === 0, `console errors: ${JSON.stringify(consoleErrors)}`);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => {
  for (const f of failures) console.log(`FAIL: ${f}`);
  process.exit(failures.length ? 1 : 0);
}, (e) => { console.log(`FAIL: ${e.stack || e}`); process.exit(1); });
