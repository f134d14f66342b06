// "Add to vehicle": store an Autocharge token seen on a station (an unrecognised identifier, or an Authorize
// in the Real-Time Logs) on a vehicle the admin chooses: the guide's copy-and-paste, done for the user.
import { ApiError, request } from "./api.js";
import { html } from "./html.js";
import { ErrorMessage, Loading, MutationDialog } from "./components.js";
import { useQuery } from "./hooks.js";

/** `onDone(identifier)` with the stored VehicleIdentifier (its vehicle's plate included). */
export function AddToVehicleDialog({ session, token, onClose, onDone }) {
  const choices = useQuery(session.key, "VehicleChoices", {});
  const vehicles = choices.data?.vehicles.edges.map((edge) => edge.node) ?? [];
  const run = async (form) => {
    const vehicleId = form.get("vehicleId");
    if (!vehicleId) throw new ApiError("Choose a vehicle first", "VALIDATION");
    const data = await request(session.key, "AddVehicleIdentifier", { vehicleId, value: token });
    onDone(data.addVehicleIdentifier);
  };
  return html`
    <${MutationDialog} title=${`Add ${token} to a vehicle`} submitLabel="Add to vehicle" onClose=${onClose} run=${run}>
      <p>The token becomes the vehicle's identifier (replacing its active one), and authorises charging from then on.</p>
      ${choices.loading && html`<${Loading} what="vehicles" />`}
      <${ErrorMessage} error=${choices.error} />
      ${choices.data && !vehicles.length && html`<p class="muted">No active vehicle yet: add one under Users → Assets → Vehicles.</p>`}
      ${vehicles.length > 0 && html`
        <label>Vehicle
          <select name="vehicleId">
            ${vehicles.map((vehicle) => html`
              <option key=${vehicle.id} value=${vehicle.id}>${vehicle.licensePlate} — ${vehicle.user.name}</option>
            `)}
          </select>
        </label>
      `}
    <//>
  `;
}
