// A vehicle's energy per day as bars, drawn by the vendored uPlot (a canvas), with the same figures in a table
// that screen readers read instead of the picture.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { html } from "./html.js";
import { kwh } from "./words.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The browser's local day of `moment` as "YYYY-MM-DD". */
const dayOf = (moment) => moment.toLocaleDateString("en-CA");

/** `days` local days ending today, each `{ day, start, wh }` with the energy of the sessions started that day. */
export function energyPerDay(transactions, days, today = new Date()) {
  const midnight = new Date(today.getFullYear(), today.getMonth(), today.getDate());
  const series = [];
  for (let back = days - 1; back >= 0; back -= 1) {
    const start = new Date(midnight);
    start.setDate(midnight.getDate() - back);
    series.push({ day: dayOf(start), start, wh: 0 });
  }
  const byDay = new Map(series.map((entry) => [entry.day, entry]));
  for (const transaction of transactions) {
    const entry = byDay.get(dayOf(new Date(transaction.startedAt)));
    if (entry) entry.wh += transaction.energyWh ?? 0;
  }
  return series;
}

function Bars({ series }) {
  const ref = useRef(null);
  useEffect(() => {
    const element = ref.current;
    const options = {
      width: Math.max(280, element.clientWidth),
      height: 220,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true, range: (_, min, max) => [min - DAY_MS / 2000, max + DAY_MS / 2000] }, y: { range: (_, __, max) => [0, Math.max(1, max)] } },
      axes: [{}, { label: "kWh", size: 50 }],
      series: [{}, { label: "Energy (kWh)", stroke: "#0b57d0", fill: "rgba(11, 87, 208, 0.45)", paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false } }],
    };
    const days = series.map((entry) => entry.start.getTime() / 1000);
    const energy = series.map((entry) => (entry.wh ? entry.wh / 1000 : null)); // no bar on a day without charging
    const data = [days, energy];
    const chart = new uPlot(options, data, element);
    return () => chart.destroy();
  }, [series]);
  return html`<div class="chart" ref=${ref} aria-hidden="true"></div>`;
}

export function EnergyChart({ series }) {
  const charged = series.filter((entry) => entry.wh > 0);
  return html`
    <figure class="energy" aria-labelledby="energy-title">
      <figcaption id="energy-title">Energy per day (kWh), last ${series.length} days</figcaption>
      <${Bars} series=${series} />
      <table class="visually-hidden">
        <caption>Energy per day with charging</caption>
        <thead><tr><th scope="col">Day</th><th scope="col">Energy (kWh)</th></tr></thead>
        <tbody>
          ${charged.map((entry) => html`<tr key=${entry.day}><td>${entry.day}</td><td>${kwh(entry.wh)}</td></tr>`)}
        </tbody>
      </table>
    </figure>
  `;
}
