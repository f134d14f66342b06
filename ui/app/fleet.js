// Vehicles: every vehicle of the tenant with its user, identifier and status; per vehicle its charging summary,
// its energy per day (energy_chart.js) and its transactions, kept live.
import { useMemo, useState } from "preact/hooks";
import { html } from "./html.js";
import { Empty, ErrorMessage, Loading, Pager, Table } from "./components.js";
import { EnergyChart, energyPerDay } from "./energy_chart.js";
import { useQuery, useSearch } from "./hooks.js";
import { TransactionsTable, useLiveReload } from "./transactions.js";
import { kwh, VEHICLE_STATUS } from "./words.js";

const PAGE_SIZE = 25;
const CHART_DAYS = 30;

const identifier = (vehicle) => (vehicle.activeIdentifier
  ? html`<code>${vehicle.activeIdentifier.value}</code> <span class="muted">MAC ${vehicle.activeIdentifier.macAddress}</span>`
  : html`<span class="muted">none</span>`);

const userLink = (user) => html`<a href=${`#/users/${encodeURIComponent(user.id)}/vehicles`}>${user.name}</a>`;

export function VehiclesPage({ session }) {
  const [cursors, setCursors] = useState([null]);
  const [typed, setTyped, search] = useSearch(() => setCursors([null]));
  const variables = { first: PAGE_SIZE, after: cursors[cursors.length - 1], search: search || null };
  const result = useQuery(session.key, "Vehicles", variables);
  const vehicles = result.data?.vehicles;
  return html`
    <section aria-labelledby="fleet-title">
      <div class="toolbar"><h1 id="fleet-title">Vehicles</h1></div>
      <div class="toolbar">
        <label>Search <input type="search" value=${typed} placeholder="License plate" onInput=${(e) => setTyped(e.currentTarget.value)} /></label>
      </div>
      <${ErrorMessage} error=${result.error} />
      ${result.loading && html`<${Loading} what="vehicles" />`}
      ${vehicles && vehicles.edges.length === 0 && html`<${Empty}>${search ? `No vehicle matches “${search}”.` : "No vehicles yet: add them under Users → Assets → Vehicles."}<//>`}
      ${vehicles && vehicles.edges.length > 0 && html`
        <${Table} caption=${`Vehicles, page ${cursors.length}`}
          columns=${["License plate", "Make", "Model", "User", "Identifier", "Status", "Sessions"]}>
              ${vehicles.edges.map(({ node: vehicle }) => html`
                <tr key=${vehicle.id}>
                  <td><a href=${`#/vehicles/${encodeURIComponent(vehicle.id)}`}>${vehicle.licensePlate}</a></td>
                  <td>${vehicle.make ?? ""}</td>
                  <td>${vehicle.model ?? ""}</td>
                  <td>${userLink(vehicle.user)}</td>
                  <td>${identifier(vehicle)}</td>
                  <td>${VEHICLE_STATUS[vehicle.status] ?? vehicle.status}</td>
                  <td>${vehicle.transactionCount}</td>
                </tr>
              `)}
        <//>
      `}
      <${Pager} connection=${vehicles} noun="vehicles" cursors=${cursors} setCursors=${setCursors} />
    </section>
  `;
}

/** Seconds as hours and minutes: "3 h 05 min". */
function duration(seconds) {
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export function VehiclePage({ session, vehicleId }) {
  const [reload, setReload] = useState(0);
  const [liveError, setLiveError] = useState(null);
  useLiveReload(session.key, setReload, setLiveError);
  const since = useMemo(() => {
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    start.setDate(start.getDate() - (CHART_DAYS - 1));
    return start.toISOString();
  }, []);
  const result = useQuery(session.key, "Vehicle", { id: vehicleId, since }, reload);
  const vehicle = result.data?.vehicle;
  const series = useMemo(
    () => vehicle && energyPerDay(vehicle.transactions.edges.map((edge) => edge.node), CHART_DAYS),
    [vehicle],
  );
  const back = html`<p><a href="#/vehicles">← Vehicles</a></p>`;
  if (result.data && !vehicle) {
    return html`<section>${back}<p class="error" role="alert">No such vehicle (NOT_FOUND)</p></section>`;
  }
  const summary = vehicle?.chargingSummary;
  return html`
    <section aria-labelledby="vehicle-title">
      ${back}
      <div class="toolbar"><h1 id="vehicle-title">${vehicle ? vehicle.licensePlate : "Vehicle"}</h1></div>
      <${ErrorMessage} error=${result.error} />
      <${ErrorMessage} error=${liveError} />
      ${result.loading && !vehicle && html`<${Loading} what="the vehicle" />`}
      ${vehicle && html`
        <dl class="facts">
          <div><dt>User</dt><dd>${userLink(vehicle.user)}</dd></div>
          <div><dt>Make and model</dt><dd>${[vehicle.make, vehicle.model].filter(Boolean).join(" ") || "unknown"}</dd></div>
          <div><dt>Identifier</dt><dd>${identifier(vehicle)}</dd></div>
          <div><dt>Status</dt><dd>${VEHICLE_STATUS[vehicle.status] ?? vehicle.status}</dd></div>
        </dl>
        <section aria-labelledby="summary-title">
          <h2 id="summary-title">Charging summary</h2>
          <dl class="facts">
            <div><dt>Sessions</dt><dd>${summary.sessions}</dd></div>
            <div><dt>Auto charge sessions</dt><dd>${summary.autochargeSessions}</dd></div>
            <div><dt>Energy (kWh)</dt><dd>${kwh(summary.energyWh)}</dd></div>
            <div><dt>Charging time</dt><dd>${duration(summary.chargingSeconds)}</dd></div>
          </dl>
          <${EnergyChart} series=${series} />
        </section>
        <${VehicleTransactions} session=${session} vehicleId=${vehicle.id} reload=${reload} />
      `}
    </section>
  `;
}

function VehicleTransactions({ session, vehicleId, reload }) {
  const [cursors, setCursors] = useState([null]);
  const variables = { first: PAGE_SIZE, after: cursors[cursors.length - 1], filter: { vehicleId }, withVehicle: false };
  const result = useQuery(session.key, "Transactions", variables, reload);
  const transactions = result.data?.transactions;
  return html`
    <section aria-labelledby="vehicle-transactions-title">
      <h2 id="vehicle-transactions-title">Transactions</h2>
      <${ErrorMessage} error=${result.error} />
      ${result.loading && html`<${Loading} what="transactions" />`}
      ${transactions && transactions.edges.length === 0 && html`<${Empty}>This vehicle has not charged yet.<//>`}
      ${transactions && transactions.edges.length > 0 && html`<${TransactionsTable} transactions=${transactions} withVehicle=${false} page=${cursors.length} />`}
      <${Pager} connection=${transactions} noun="transactions" cursors=${cursors} setCursors=${setCursors} />
    </section>
  `;
}
