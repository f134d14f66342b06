// The Transactions screen: newest first, Origin in words, a hidden Vehicle column, an origin filter, live updates.
import { useEffect, useState } from "preact/hooks";
import { request, subscribe } from "./api.js";
import { html } from "./html.js";
import { ColumnsMenu, Empty, ErrorMessage, Loading, Pager } from "./components.js";
import { kwh, ORIGINS, TRANSACTION_STATUS, when } from "./words.js";

const PAGE_SIZE = 25;
const LIVE_RELOAD_DELAY_MS = 300; // a burst of meter values is one reload, not one per event

export function TransactionsPage({ session }) {
  const [origin, setOrigin] = useState("");
  const [cursors, setCursors] = useState([null]);
  const [shown, setShown] = useState(new Set());
  const [result, setResult] = useState({ loading: true });
  const [reload, setReload] = useState(0);
  const [liveError, setLiveError] = useState(null);

  const after = cursors[cursors.length - 1];
  const withVehicle = shown.has("Vehicle");
  useEffect(() => {
    let current = true;
    setResult((previous) => ({ ...previous, loading: true, error: null }));
    const filter = origin ? { origin } : null;
    request(session.key, "Transactions", { first: PAGE_SIZE, after, filter, withVehicle }).then(
      (data) => current && setResult({ loading: false, transactions: data.transactions }),
      (error) => current && setResult({ loading: false, error }),
    );
    return () => {
      current = false;
    };
  }, [session.key, after, origin, withVehicle, reload]);

  // Live: each started, metered or stopped transaction reloads the page (only the first page changes).
  useEffect(() => {
    let timer = null;
    const stop = subscribe(session.key, "TransactionUpdates", {}, {
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
  }, [session.key]);

  const transactions = result.transactions;
  const page = cursors.length;
  return html`
    <section aria-labelledby="transactions-title">
      <div class="toolbar"><h1 id="transactions-title">Transactions</h1></div>
      <div class="toolbar">
        <label>Origin
          <select value=${origin} onChange=${(e) => (setOrigin(e.currentTarget.value), setCursors([null]))}>
            <option value="">All</option>
            ${Object.entries(ORIGINS).map(([value, words]) => html`<option value=${value}>${words}</option>`)}
          </select>
        </label>
        <${ColumnsMenu} columns=${["Vehicle"]} shown=${shown} onChange=${setShown} />
      </div>
      <${ErrorMessage} error=${liveError} />
      <${ErrorMessage} error=${result.error} />
      ${result.loading && html`<${Loading} what="transactions" />`}
      ${transactions && transactions.edges.length === 0 && html`<${Empty}>No transactions${origin ? ` with origin ${ORIGINS[origin]}` : " yet"}.<//>`}
      ${transactions && transactions.edges.length > 0 && html`
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Transactions, newest first, page ${page}</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Stopped</th>
                <th scope="col">Station</th>
                <th scope="col">Connector</th>
                <th scope="col">User</th>
                ${withVehicle && html`<th scope="col">Vehicle</th>`}
                <th scope="col">Origin</th>
                <th scope="col">Energy (kWh)</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </div>
      `}
      <${Pager} connection=${transactions} noun="transactions" cursors=${cursors} setCursors=${setCursors} />
    </section>
  `;
}
