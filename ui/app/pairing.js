// "Pair": choose a connected, Autocharge capable charger, start pairing, then follow pairingProgress live.
import { useEffect, useState } from "preact/hooks";
import { request, subscribe } from "./api.js";
import { html } from "./html.js";
import { Dialog, Empty, ErrorMessage, Loading } from "./components.js";
import { failureInWords } from "./words.js";

export function PairDialog({ session, vehicle, onClose, onPaired }) {
  const [pairing, setPairing] = useState(null); // the PairingSession once started
  return html`
    <${Dialog} title=${`Pair ${vehicle.licensePlate}`} onClose=${onClose}>
      ${pairing
        ? html`<${PairingProgress} session=${session} started=${pairing} onPaired=${onPaired} />`
        : html`<${ChooseCharger} session=${session} vehicle=${vehicle} onStarted=${setPairing} />`}
      <div class="actions"><button type="button" onClick=${onClose}>Close</button></div>
    <//>
  `;
}

function readiness(charger) {
  if (!charger.connectors.length) return "readiness not reported yet";
  return charger.connectors.map((c) => `connector ${c.connectorId}: ${c.status}`).join(", ");
}

function ChooseCharger({ session, vehicle, onStarted }) {
  const [result, setResult] = useState({ loading: true });
  const [error, setError] = useState(null);
  const [starting, setStarting] = useState(false);
  useEffect(() => {
    request(session.key, "PairingChargers").then(
      (data) => {
        const usable = data.chargers.edges
          .map((edge) => edge.node)
          .filter((charger) => charger.connectionState === "CONNECTED" && charger.autochargeSupported);
        setResult({ chargers: usable });
      },
      (failure) => setResult({ error: failure }),
    );
  }, [session.key]);

  const start = async (event) => {
    event.preventDefault();
    const chargerId = new FormData(event.currentTarget).get("chargerId");
    setStarting(true);
    setError(null);
    try {
      const data = await request(session.key, "StartVehiclePairing", { vehicleId: vehicle.id, chargerId });
      onStarted(data.startVehiclePairing);
    } catch (failure) {
      setError(failure);
      setStarting(false);
    }
  };

  if (result.loading) return html`<${Loading} what="chargers" />`;
  if (result.error) return html`<${ErrorMessage} error=${result.error} />`;
  if (!result.chargers.length) {
    return html`<${Empty}>No charger is connected and Autocharge capable right now: connect one, then try again.<//>`;
  }
  return html`
    <form onSubmit=${start}>
      <label>Charger
        <select name="chargerId">
          ${result.chargers.map((charger) => html`
            <option key=${charger.id} value=${charger.id}>${charger.name} (${charger.chargePointId}) — ${readiness(charger)}</option>
          `)}
        </select>
      </label>
      <${ErrorMessage} error=${error} />
      <div class="actions"><button type="submit" class="primary" disabled=${starting}>Start pairing</button></div>
    </form>
  `;
}

function useSecondsLeft(expiresAt, running) {
  const left = () => Math.max(0, Math.round((Date.parse(expiresAt) - Date.now()) / 1000));
  const [seconds, setSeconds] = useState(left);
  useEffect(() => {
    if (!running) return undefined;
    setSeconds(left());
    const timer = setInterval(() => setSeconds(left()), 1000);
    return () => clearInterval(timer);
  }, [expiresAt, running]);
  return seconds;
}

const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

function PairingProgress({ session, started, onPaired }) {
  const [state, setState] = useState(started);
  const [error, setError] = useState(null);
  const [cancelling, setCancelling] = useState(false);

  useEffect(
    () =>
      subscribe(session.key, "PairingProgress", { sessionId: started.id }, {
        onData: (data) => {
          setState(data.pairingProgress);
          if (data.pairingProgress.status === "PAIRED") onPaired();
        },
        onError: setError,
      }),
    [session.key, started.id],
  );

  const waiting = state.status === "WAITING_FOR_VEHICLE";
  const seconds = useSecondsLeft(state.expiresAt, waiting);
  const cancel = async () => {
    setCancelling(true);
    try {
      await request(session.key, "CancelVehiclePairing", { sessionId: state.id });
    } catch (failure) {
      setError(failure);
    }
    setCancelling(false);
  };

  return html`
    <div class="pairing" role="status" aria-live="polite">
      ${waiting && html`
        <p class="state">Waiting for vehicle</p>
        <p>Plug the vehicle into ${state.charger?.name ?? "the charger"} now. Time left: <span class="countdown">${clock(seconds)}</span></p>
      `}
      ${state.status === "PAIRED" && html`
        <p class="state ok">Paired</p>
        <p>Identifier <code>${state.identifier?.value}</code> <span class="muted">MAC ${state.identifier?.macAddress}</span></p>
      `}
      ${state.status === "FAILED" && html`<p class="state bad">Failed</p><p>${failureInWords(state.failureReason)}</p>`}
      ${state.status === "EXPIRED" && html`<p class="state bad">Expired</p><p>No vehicle was plugged in in time.</p>`}
      ${state.status === "CANCELLED" && html`<p class="state">Cancelled</p>`}
    </div>
    <${ErrorMessage} error=${error} />
    ${waiting && html`<div class="actions"><button type="button" disabled=${cancelling} onClick=${cancel}>Cancel</button></div>`}
  `;
}
