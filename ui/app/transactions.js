// The Transactions screen: newest first, Origin in words, a hidden Vehicle column, filters (origin, vehicle, user,
// station, dates), live updates and the CSV export.
import { useEffect, useState } from "preact/hooks";
import { download, subscribe } from "./api.js";
import { html } from "./html.js";
import { ColumnsMenu, Empty, ErrorMessage, Loading, Pager, Table } from "./components.js";
import { useQuery } from "./hooks.js";
import { kwh, ORIGINS, TRANSACTION_STATUS, when } from "./words.js";

const PAGE_SIZE = 25;
const LIVE_RELOAD_DELAY_MS = 300; // a burst of meter values is one reload, not one per event
const NO_FILTER = { origin: "", vehicleId: "", userId: "", chargerId: "", fromDay: "", toDay: "" };

/** Midnight starting the browser's local day `day` ("2026-12-05"), `plusDays` later, as an ISO timestamp. */
function dayStart(day, plusDays = 0) {
  if (!day) return null;
  const moment = new Date(`${day}T00:00`);
  moment.setDate(moment.getDate() + plusDays);
  return moment.toISOString();
}

/** The API's TransactionFilter for the form's values; the "To" day is included, the day after it is not. */
function apiFilter(chosen) {
  const filter = {
    origin: chosen.origin || null,
    vehicleId: chosen.vehicleId || null,
    userId: chosen.userId || null,
    chargerId: chosen.chargerId || null,
    from: dayStart(chosen.fromDay),
    to: dayStart(chosen.toDay, 1),
  };
  return Object.values(filter).some((value) => value !== null) ? filter : null;
}

/** Reload (debounced) on each started, metered or stopped transaction: only the first page changes. */
export function useLiveReload(key, setReload, setLiveError) {
  useEffect(() => {
    let timer = null;
    const stop = subscribe(key, "TransactionUpdates", {}, {
      onData: () => {
        clearTimeout(timer);
        timer = setTimeout(() => setReload((count) => count + 1), LIVE_RELOAD_DELAY_MS);
      },
      onError: setLiveError,
    });
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, [key]);
}

export function TransactionsPage({ session }) {
  const [chosen, setChosen] = useState(NO_FILTER);
  const [cursors, setCursors] = useState([null]);
  const [shown, setShown] = useState(new Set());
  const [reload, setReload] = useState(0);
  const [liveError, setLiveError] = useState(null);
  useLiveReload(session.key, setReload, setLiveError);

  const filter = apiFilter(chosen);
  const withVehicle = shown.has("Vehicle");
  const variables = { first: PAGE_SIZE, after: cursors[cursors.length - 1], filter, withVehicle };
  const result = useQuery(session.key, "Transactions", variables, reload);
  const choose = (name, value) => {
    setChosen({ ...chosen, [name]: value });
    setCursors([null]);
  };

  const transactions = result.data?.transactions;
  const page = cursors.length;
  return html`
    <section aria-labelledby="transactions-title">
      <div class="toolbar">
        <h1 id="transactions-title">Transactions</h1>
        <${ColumnsMenu} columns=${["Vehicle"]} shown=${shown} onChange=${setShown} />
        <${ExportButton} session=${session} filter=${filter} />
      </div>
      <${Filters} session=${session} chosen=${chosen} choose=${choose} onClear=${() => (setChosen(NO_FILTER), setCursors([null]))} />
      <${ErrorMessage} error=${liveError} />
      <${ErrorMessage} error=${result.error} />
      ${result.loading && html`<${Loading} what="transactions" />`}
      ${transactions && transactions.edges.length === 0 && html`<${Empty}>${filter ? noneMatch(chosen) : "No transactions yet."}<//>`}
      ${transactions && transactions.edges.length > 0 && html`<${TransactionsTable} transactions=${transactions} withVehicle=${withVehicle} page=${page} />`}
      <${Pager} connection=${transactions} noun="transactions" cursors=${cursors} setCursors=${setCursors} />
    </section>
  `;
}

function noneMatch(chosen) {
  const onlyOrigin = Object.entries(chosen).every(([name, value]) => name === "origin" || !value);
  return onlyOrigin ? `No transactions with origin ${ORIGINS[chosen.origin]}.` : "No transactions match these filters.";
}

function Filters({ session, chosen, choose, onClear }) {
  const choices = useQuery(session.key, "TransactionFilterChoices", {});
  const nodes = (name) => choices.data?.[name].edges.map((edge) => edge.node) ?? [];
  const select = (label, name, options) => html`
    <label>${label}
      <select value=${chosen[name]} onChange=${(event) => choose(name, event.currentTarget.value)}>
        <option value="">All</option>
        ${options.map(([value, words]) => html`<option key=${value} value=${value}>${words}</option>`)}
      </select>
    </label>
  `;
  const day = (label, name) => html`
    <label>${label} <input type="date" value=${chosen[name]} onChange=${(event) => choose(name, event.currentTarget.value)} /></label>
  `;
  return html`
    <form class="toolbar" role="search" aria-label="Filter transactions" onSubmit=${(event) => event.preventDefault()}>
      ${select("Origin", "origin", Object.entries(ORIGINS))}
      ${select("Vehicle", "vehicleId", nodes("vehicles").map((v) => [v.id, v.licensePlate]))}
      ${select("User", "userId", nodes("users").map((u) => [u.id, u.name]))}
      ${select("Station", "chargerId", nodes("chargers").map((c) => [c.id, c.name]))}
      ${day("From", "fromDay")}
      ${day("To", "toDay")}
      <button type="button" onClick=${onClear}>Clear filters</button>
    </form>
    <${ErrorMessage} error=${choices.error} />
  `;
}

/** "Export CSV": the export endpoint with the key in a header, offered as a download. */
function ExportButton({ session, filter }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const partly = filter && (filter.origin || filter.userId || filter.chargerId);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const params = { vehicleId: filter?.vehicleId, from: filter?.from, to: filter?.to };
      await download(session.key, "/exports/transactions.csv", params, "transactions.csv");
    } catch (failure) {
      setError(failure);
    }
    setBusy(false);
  };
  return html`
    <div class="export">
      <button type="button" disabled=${busy} onClick=${run}>Export CSV</button>
      ${partly && html`<p class="muted">The export applies the vehicle and date filters only.</p>`}
      <${ErrorMessage} error=${error} />
    </div>
  `;
}

const COLUMNS = (withVehicle) => [
  "Started", "Stopped", "Station", "Connector", "User", withVehicle && "Vehicle", "Origin", "Energy (kWh)", "Status",
];

export function TransactionsTable({ transactions, withVehicle, page }) {
  return html`
    <${Table} caption=${`Transactions, newest first, page ${page}`} columns=${COLUMNS(withVehicle)}>
          ${transactions.edges.map(({ node }) => html`
            <tr key=${node.id}>
              <td>${when(node.startedAt)}</td>
              <td>${when(node.stoppedAt)}</td>
              <td>${node.charger.name}</td>
              <td>${node.connectorId}</td>
              <td>${node.user ? node.user.name : html`<span class="muted">unknown</span>`}</td>
              ${withVehicle && html`<td>${node.vehicle?.licensePlate ?? ""}</td>`}
              <td>${ORIGINS[node.origin] ?? node.origin}</td>
              <td>${kwh(node.energyWh)}</td>
              <td>${TRANSACTION_STATUS[node.status] ?? node.status}</td>
            </tr>
          `)}
    <//>
  `;
}
