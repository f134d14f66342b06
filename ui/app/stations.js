// Stations: the chargers with their connection state kept live (chargerStatus); per station its connectors, its
// operations, Autocharge readiness and settings (see station_operations.js), the Unrecognised identifiers seen on
// it (with the suggestion from an RFID tap, and "Add to vehicle") and its Real-Time Logs (see logs.js).
import { useState } from "preact/hooks";
import { html } from "./html.js";
import { ACTIONS, Empty, ErrorMessage, Loading, Pager, Table } from "./components.js";
import { AddToVehicleDialog } from "./add_to_vehicle.js";
import { useQuery, useSubscription } from "./hooks.js";
import { RealTimeLogs } from "./logs.js";
import { StationOperations } from "./station_operations.js";
import { CONNECTION_STATE, suggestionInWords, when, yesNo } from "./words.js";

const PAGE_SIZE = 25;

/** The chargers as loaded, each replaced by the newest state chargerStatus pushed for it. */
function useLiveChargers(session, chargerId = null) {
  const [pushed, setPushed] = useState({});
  const error = useSubscription(session.key, "ChargerStatus", { chargerId }, ({ chargerStatus }) =>
    setPushed((known) => ({ ...known, [chargerStatus.id]: chargerStatus })),
  );
  return { error, live: (charger) => (charger ? { ...charger, ...pushed[charger.id] } : charger) };
}

const connection = (charger) => html`<span class="state-${charger.connectionState.toLowerCase()}">
  ${CONNECTION_STATE[charger.connectionState] ?? charger.connectionState}</span>`;

export function StationsPage({ session }) {
  const [cursors, setCursors] = useState([null]);
  const result = useQuery(session.key, "Stations", { first: PAGE_SIZE, after: cursors[cursors.length - 1] });
  const chargers = result.data?.chargers;
  const { error: liveError, live } = useLiveChargers(session);
  return html`
    <section aria-labelledby="stations-title">
      <div class="toolbar"><h1 id="stations-title">Stations</h1></div>
      <${ErrorMessage} error=${liveError} />
      <${ErrorMessage} error=${result.error} />
      ${result.loading && html`<${Loading} what="stations" />`}
      ${chargers && chargers.edges.length === 0 && html`<${Empty}>No stations yet: register one with the registerCharger mutation.<//>`}
      ${chargers && chargers.edges.length > 0 && html`
        <${Table} caption=${`Stations, page ${cursors.length}`}
          columns=${["Name", "Charge point id", "Connection", "OCPP version", "Vendor", "Model", "Autocharge"]}>
              ${chargers.edges.map(({ node }) => live(node)).map((charger) => html`
                <tr key=${charger.id}>
                  <td><a href=${`#/stations/${encodeURIComponent(charger.id)}`}>${charger.name}</a></td>
                  <td>${charger.chargePointId}</td>
                  <td>${connection(charger)}</td>
                  <td>${charger.ocppVersion ?? ""}</td>
                  <td>${charger.vendor ?? ""}</td>
                  <td>${charger.model ?? ""}</td>
                  <td>${yesNo(charger.autochargeSupported)}</td>
                </tr>
              `)}
        <//>
      `}
      <${Pager} connection=${chargers} noun="stations" cursors=${cursors} setCursors=${setCursors} />
    </section>
  `;
}

export function StationPage({ session, chargerId }) {
  const [reload, setReload] = useState(0);
  const [adding, setAdding] = useState(null); // the token being added to a vehicle
  const [added, setAdded] = useState(null); // the identifier last added
  const result = useQuery(session.key, "Station", { id: chargerId }, reload);
  const { error: liveError, live } = useLiveChargers(session, chargerId);
  const charger = live(result.data?.charger);
  const back = html`<p><a href="#/stations">← Stations</a></p>`;
  if (result.data && !charger) {
    return html`<section>${back}<p class="error" role="alert">No such station (NOT_FOUND)</p></section>`;
  }
  const identifiers = result.data?.unrecognisedIdentifiers ?? [];
  const addToVehicle = session.canChange
    ? (token) => (setAdded(null), setAdding({ token, suggestion: suggestionFor(identifiers, token) }))
    : null;
  const refresh = () => setReload((count) => count + 1);
  const done = (identifier) => {
    setAdding(null);
    setAdded(identifier);
    refresh();
  };
  // An Authorize answered: a token may have joined (or left) the unrecognised ones.
  const answered = (frame) => frame.action === "Authorize" && frame.messageType !== "CALL" && refresh();
  return html`
    <section aria-labelledby="station-title">
      ${back}
      <div class="toolbar"><h1 id="station-title">${charger ? charger.name : "Station"}</h1></div>
      <${ErrorMessage} error=${result.error} />
      <${ErrorMessage} error=${charger && liveError} />
      ${result.loading && !charger && html`<${Loading} what="the station" />`}
      ${added && html`<p class="notice" role="status">${added.value} now identifies ${added.vehicle.licensePlate}: its next Authorize is accepted.</p>`}
      ${charger && html`
        <${StationFacts} charger=${charger} />
        <${Connectors} connectors=${charger.connectors} />
        <${StationOperations} session=${session} charger=${charger} />
        <${Unrecognised} identifiers=${identifiers} onAddToVehicle=${addToVehicle} />
        <${RealTimeLogs} session=${session} chargerId=${charger.id} onAddToVehicle=${addToVehicle} onFrame=${answered} />
      `}
      ${adding && html`<${AddToVehicleDialog} session=${session} token=${adding.token} suggestion=${adding.suggestion}
        onClose=${() => setAdding(null)} onDone=${done} />`}
    </section>
  `;
}

function StationFacts({ charger }) {
  return html`
    <dl class="facts">
      <div><dt>Charge point id</dt><dd>${charger.chargePointId}</dd></div>
      <div><dt>Connection</dt><dd>${connection(charger)}</dd></div>
      <div><dt>Last seen</dt><dd>${when(charger.lastSeenAt) || "never"}</dd></div>
      <div><dt>OCPP version</dt><dd>${charger.ocppVersion ?? "unknown"}</dd></div>
      <div><dt>Vendor</dt><dd>${charger.vendor ?? "unknown"}</dd></div>
      <div><dt>Model</dt><dd>${charger.model ?? "unknown"}</dd></div>
      <div><dt>Firmware</dt><dd>${charger.firmwareVersion ?? "unknown"}</dd></div>
      <div><dt>Autocharge</dt><dd>${yesNo(charger.autochargeSupported)}</dd></div>
    </dl>
  `;
}

function Connectors({ connectors }) {
  return html`
    <section aria-labelledby="connectors-title">
      <h2 id="connectors-title">Connectors</h2>
      ${connectors.length === 0 && html`<${Empty}>No connector has reported its status yet.<//>`}
      ${connectors.length > 0 && html`
        <${Table} caption="Connectors" columns=${["Connector", "Status", "Since"]}>
          ${connectors.map((c) => html`<tr key=${c.connectorId}><td>${c.connectorId}</td><td>${c.status}</td><td>${when(c.updatedAt)}</td></tr>`)}
        <//>
      `}
    </section>
  `;
}

/** A vehicle token's bytes however it is spelt ("VID:0A1B…", "0a-1b-…"), to find a logged token's identifier. */
const tokenBytes = (token) => token.toUpperCase().replace(/^VID:/, "").replace(/[:\-\s]/g, "");

/** The suggestion from an RFID tap stored with `token`'s unrecognised identifier: `{ user, vehicle }`, or null. */
function suggestionFor(identifiers, token) {
  const identifier = identifiers.find((candidate) => tokenBytes(candidate.value) === tokenBytes(token));
  if (!identifier?.suggestedUser) return null;
  return { user: identifier.suggestedUser, vehicle: identifier.suggestedVehicle };
}

function Suggested({ identifier }) {
  if (!identifier.suggestedUser) return html`<span class="muted">none</span>`;
  return suggestionInWords({ user: identifier.suggestedUser, vehicle: identifier.suggestedVehicle });
}

function Unrecognised({ identifiers, onAddToVehicle }) {
  return html`
    <section aria-labelledby="unrecognised-title">
      <h2 id="unrecognised-title">Unrecognised identifiers</h2>
      ${identifiers.length === 0 && html`<${Empty}>No unknown vehicle has been plugged in here.<//>`}
      ${identifiers.length > 0 && html`
        <${Table} caption="Unrecognised identifiers, most recently seen first"
          columns=${["Identifier", "MAC", "Last seen", "Times seen", "Suggested", onAddToVehicle && ACTIONS]}>
              ${identifiers.map((identifier) => html`
                <tr key=${identifier.value}>
                  <td><code>${identifier.value}</code></td>
                  <td>${identifier.macAddress}</td>
                  <td>${when(identifier.lastSeenAt)}</td>
                  <td>${identifier.timesSeen}</td>
                  <td><${Suggested} identifier=${identifier} /></td>
                  ${onAddToVehicle && html`<td><button type="button" onClick=${() => onAddToVehicle(identifier.value)}>Add to vehicle</button></td>`}
                </tr>
              `)}
        <//>
        <p class="muted">Suggested: the driver who tapped a known RFID card on this station within 60 seconds after the
          token was rejected, with their only vehicle that has no identifier. Nothing is paired until you add it.</p>
      `}
    </section>
  `;
}
