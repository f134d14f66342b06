// A station's "Real-Time Logs": the newest frames, then each new one live (both directions), an action filter,
// Pause / Resume, older pages, and "Add to vehicle" on an Authorize that carries a vehicle's token.
import { useEffect, useRef, useState } from "preact/hooks";
import { request } from "./api.js";
import { html } from "./html.js";
import { ACTIONS, Empty, ErrorMessage, Loading, Table } from "./components.js";
import { useSubscription } from "./hooks.js";
import { DIRECTION, MESSAGE_TYPE, when } from "./words.js";

const PAGE_SIZE = 50;
const OCPP_ACTIONS = [
  "Authorize", "BootNotification", "Heartbeat", "StatusNotification", "StartTransaction", "StopTransaction",
  "TransactionEvent", "MeterValues", "RemoteStartTransaction", "RemoteStopTransaction", "RequestStartTransaction",
  "RequestStopTransaction",
];

/**
 * The vehicle token an Authorize from the station presents, or null: an idTag starting with "VID:" (OCPP 1.6),
 * or an IdToken of type MacAddress (2.0.1).
 */
export function vehicleToken(frame) {
  if (frame.action !== "Authorize" || frame.messageType !== "CALL" || frame.direction !== "FROM_CHARGER") return null;
  const { idTag, idToken } = frame.payload ?? {};
  if (typeof idTag === "string" && idTag.toUpperCase().startsWith("VID:")) return idTag;
  if (idToken?.type === "MacAddress" && typeof idToken.idToken === "string") return idToken.idToken;
  return null;
}

/** `later` in front of `earlier`, without a frame twice (a live frame can also come in a loaded page). */
function joined(later, earlier) {
  const seen = new Set(later.map((frame) => frame.id));
  return [...later, ...earlier.filter((frame) => !seen.has(frame.id))];
}

/** `onFrame(frame)` for each live frame, filtered or not (the station reloads what a frame may have changed). */
export function RealTimeLogs({ session, chargerId, onAddToVehicle, onFrame }) {
  const [action, setAction] = useState("");
  const [frames, setFrames] = useState([]); // newest first
  const [page, setPage] = useState({ loading: true }); // { loading, error, hasNextPage, endCursor }
  const [held, setHeld] = useState([]); // live frames that arrived while paused, newest first
  const [paused, setPaused] = useState(false);
  const filter = useRef({ action, paused });
  filter.current = { action, paused };
  const shown = useRef(0); // which list is shown: a page that answers after the filter changed is dropped

  const liveError = useSubscription(session.key, "LiveOcppLogs", { chargerId }, ({ ocppLogs: frame }) => {
    onFrame?.(frame);
    if (filter.current.action && frame.action !== filter.current.action) return;
    if (filter.current.paused) setHeld((frames) => [frame, ...frames]);
    else setFrames((frames) => joined([frame], frames));
  });

  const load = (after) => {
    setPage((previous) => ({ ...previous, loading: true, error: null }));
    return request(session.key, "OcppLogs", { chargerId, first: PAGE_SIZE, after, action: action || null }).then(
      ({ ocppLogs }) => {
        setPage({ loading: false, ...ocppLogs.pageInfo });
        return ocppLogs.edges.map((edge) => edge.node);
      },
      (error) => {
        setPage({ loading: false, error });
        return [];
      },
    );
  };

  useEffect(() => {
    const list = ++shown.current;
    setFrames([]);
    setHeld([]);
    load(null).then((newest) => list === shown.current && setFrames((live) => joined(live, newest)));
    return () => {
      shown.current += 1;
    };
  }, [session.key, chargerId, action]);

  const older = () => {
    const list = shown.current;
    load(page.endCursor).then((more) => list === shown.current && setFrames((frames) => joined(frames, more)));
  };
  const resume = () => {
    setFrames((frames) => joined(held, frames));
    setHeld([]);
    setPaused(false);
  };

  return html`
    <section aria-labelledby="logs-title">
      <div class="toolbar">
        <h2 id="logs-title">Real-Time Logs</h2>
        <label>Action
          <select value=${action} onChange=${(event) => setAction(event.currentTarget.value)}>
            <option value="">All</option>
            ${OCPP_ACTIONS.map((name) => html`<option key=${name} value=${name}>${name}</option>`)}
          </select>
        </label>
        ${paused
          ? html`<button type="button" onClick=${resume}>Resume</button>`
          : html`<button type="button" onClick=${() => setPaused(true)}>Pause</button>`}
      </div>
      ${paused && html`<p class="muted" role="status">Paused: ${held.length} new ${held.length === 1 ? "frame" : "frames"} held until Resume.</p>`}
      <${ErrorMessage} error=${liveError} />
      <${ErrorMessage} error=${page.error} />
      ${!page.loading && !page.error && frames.length === 0 && html`<${Empty}>No frames${action ? ` of ${action}` : ""} yet.<//>`}
      ${frames.length > 0 && html`
        <${Table} className="logs" caption="Real-Time Logs, newest first"
          columns=${["Time", "Direction", "Type", "Action", "Message", onAddToVehicle && ACTIONS]}>
          ${frames.map((frame) => html`<${FrameRow} key=${frame.id} frame=${frame} onAddToVehicle=${onAddToVehicle} />`)}
        <//>
      `}
      ${page.loading && html`<${Loading} what="frames" />`}
      ${page.hasNextPage && html`<div class="actions"><button type="button" disabled=${page.loading} onClick=${older}>Older frames</button></div>`}
    </section>
  `;
}

function FrameRow({ frame, onAddToVehicle }) {
  const token = vehicleToken(frame);
  return html`
    <tr>
      <td>${when(frame.timestamp)}</td>
      <td>${DIRECTION[frame.direction] ?? frame.direction}</td>
      <td>${MESSAGE_TYPE[frame.messageType] ?? frame.messageType}</td>
      <td>${frame.action ?? ""}</td>
      <td><code class="payload">${JSON.stringify(frame.payload)}</code></td>
      ${onAddToVehicle && html`<td>${token && html`<button type="button" onClick=${() => onAddToVehicle(token)}>Add to vehicle</button>`}</td>`}
    </tr>
  `;
}
