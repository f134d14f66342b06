// A user's Vehicles: the table, Add Vehicle, Add identifier, Pair (see pairing.js) and Retire.
import { useEffect, useState } from "preact/hooks";
import { ApiError, request } from "./api.js";
import { html } from "./html.js";
import { ACTIONS, Empty, ErrorMessage, Loading, MutationDialog, Table } from "./components.js";
import { PairDialog } from "./pairing.js";
import { VEHICLE_STATUS } from "./words.js";

export function UserVehiclesPage({ session, userId }) {
  const [result, setResult] = useState({ loading: true });
  const [reload, setReload] = useState(0);
  const [open, setOpen] = useState(null); // { kind: "add" | "pair" | "identifier" | "retire", vehicle }

  useEffect(() => {
    let current = true;
    setResult((previous) => ({ ...previous, loading: true, error: null }));
    request(session.key, "UserVehicles", { id: userId }).then(
      (data) => current && setResult({ loading: false, user: data.user }),
      (error) => current && setResult({ loading: false, error }),
    );
    return () => {
      current = false;
    };
  }, [session.key, userId, reload]);

  const refresh = () => setReload((count) => count + 1);
  const close = () => setOpen(null);
  const done = () => (setOpen(null), refresh());
  const user = result.user;
  if (!result.loading && !result.error && !user) {
    return html`<section><p><a href="#/users">← Users</a></p><p class="error" role="alert">No such user (NOT_FOUND)</p></section>`;
  }
  return html`
    <section aria-labelledby="vehicles-title">
      <p><a href="#/users">← Users</a></p>
      <div class="toolbar">
        <h1 id="vehicles-title">Vehicles${user ? ` of ${user.name}` : ""}</h1>
        ${session.canChange && user && html`<button type="button" class="primary" onClick=${() => setOpen({ kind: "add" })}>Add Vehicle</button>`}
      </div>
      ${user && html`<p class="muted">${user.email}</p>`}
      <${ErrorMessage} error=${result.error} />
      ${result.loading && html`<${Loading} what="vehicles" />`}
      ${user && user.vehicles.length === 0 && html`<${Empty}>No vehicles yet.${session.canChange ? " Add one with Add Vehicle." : ""}<//>`}
      ${user && user.vehicles.length > 0 && html`
        <${Table} caption=${`Vehicles of ${user.name}`}
          columns=${["License plate", "Make", "Model", "Identifier", "Status", session.canChange && ACTIONS]}>
              ${user.vehicles.map((vehicle) => html`
                <tr key=${vehicle.id}>
                  <td>${vehicle.licensePlate}</td>
                  <td>${vehicle.make ?? ""}</td>
                  <td>${vehicle.model ?? ""}</td>
                  <td>${vehicle.activeIdentifier
                    ? html`<code>${vehicle.activeIdentifier.value}</code> <span class="muted">MAC ${vehicle.activeIdentifier.macAddress}</span>`
                    : html`<span class="muted">none</span>`}</td>
                  <td>${VEHICLE_STATUS[vehicle.status] ?? vehicle.status}</td>
                  ${session.canChange && html`<td class="row-actions">
                    ${vehicle.status === "ACTIVE" && html`
                      <button type="button" onClick=${() => setOpen({ kind: "pair", vehicle })}>Pair</button>
                      <button type="button" onClick=${() => setOpen({ kind: "identifier", vehicle })}>Add identifier</button>
                      <button type="button" onClick=${() => setOpen({ kind: "retire", vehicle })}>Retire</button>
                    `}
                  </td>`}
                </tr>
              `)}
        <//>
      `}
      ${open?.kind === "add" && html`<${AddVehicleDialog} session=${session} userId=${userId} onClose=${close} onDone=${done} />`}
      ${open?.kind === "identifier" && html`<${AddIdentifierDialog} session=${session} vehicle=${open.vehicle} onClose=${close} onDone=${done} />`}
      ${open?.kind === "retire" && html`<${RetireDialog} session=${session} vehicle=${open.vehicle} onClose=${close} onDone=${done} />`}
      ${open?.kind === "pair" && html`<${PairDialog} session=${session} vehicle=${open.vehicle} onClose=${done} onPaired=${refresh} />`}
    </section>
  `;
}

const text = (form, name) => String(form.get(name) ?? "").trim();

function AddVehicleDialog({ session, userId, onClose, onDone }) {
  const run = async (form) => {
    const licensePlate = text(form, "licensePlate");
    if (!licensePlate) throw new ApiError("A license plate is needed", "VALIDATION");
    const input = { userId, licensePlate, make: text(form, "make") || null, model: text(form, "model") || null };
    await request(session.key, "AddVehicle", { input });
    onDone();
  };
  return html`
    <${MutationDialog} title="Add Vehicle" submitLabel="Save" onClose=${onClose} run=${run}>
      <label>License plate <input name="licensePlate" autocomplete="off" /></label>
      <label>Make <input name="make" autocomplete="off" /></label>
      <label>Model <input name="model" autocomplete="off" /></label>
    <//>
  `;
}

function AddIdentifierDialog({ session, vehicle, onClose, onDone }) {
  const run = async (form) => {
    const value = text(form, "value");
    if (!value) throw new ApiError("An identifier is needed", "VALIDATION");
    await request(session.key, "AddVehicleIdentifier", { vehicleId: vehicle.id, value });
    onDone();
  };
  return html`
    <${MutationDialog} title=${`Add identifier to ${vehicle.licensePlate}`} submitLabel="Save" onClose=${onClose} run=${run}>
      <p>Paste the token from the charger's logs (VID:…) or the MAC address; it replaces the active identifier.
        One that many cars share (all zeros, all FF, a multicast address) is refused, with the reason.</p>
      <label>Identifier <input name="value" autocomplete="off" placeholder="VID:0A1B2C3D4E5F" /></label>
    <//>
  `;
}

function RetireDialog({ session, vehicle, onClose, onDone }) {
  const run = async () => {
    await request(session.key, "RetireVehicle", { vehicleId: vehicle.id });
    onDone();
  };
  return html`
    <${MutationDialog} title=${`Retire ${vehicle.licensePlate}?`} submitLabel="Retire" onClose=${onClose} run=${run}>
      <p>For a replaced car. The vehicle and its identifier stay on record, and the identifier no longer authorises charging.</p>
    <//>
  `;
}
