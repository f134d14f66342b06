// "Add to vehicle": store an Autocharge token seen on a station (an unrecognised identifier, or an Authorize
// in the Real-Time Logs) on a vehicle the admin chooses: the guide's copy-and-paste, done for the user. A
// suggestion from an RFID tap preselects its vehicle; the admin still confirms.
import { ApiError, request } from "./api.js";
import { html } from "./html.js";
import { ErrorMessage, Loading, MutationDialog } from "./components.js";
import { useQuery } from "./hooks.js";
import { suggestionInWords } from "./words.js";

/** The vehicles to choose from, the suggested one included even when the list left it out. */
function choicesWith(vehicles, suggestion) {
  const suggested = suggestion?.vehicle;
  if (!suggested || vehicles.some((vehicle) => vehicle.id === suggested.id)) return vehicles;
  return [{ ...suggested, user: suggestion.user }, ...vehicles];
}

/**
 * `suggestion`: `{ user, vehicle }` from the token's unrecognised identifier, or null.
 * `onDone(identifier)` with the stored VehicleIdentifier (its vehicle's plate included).
 */
export function AddToVehicleDialog({ session, token, suggestion = null, onClose, onDone }) {
  const choices = useQuery(session.key, "VehicleChoices", {});
  const loaded = choices.data?.vehicles.edges.map((edge) => edge.node);
  const vehicles = loaded ? choicesWith(loaded, suggestion) : [];
  const suggestedId = suggestion?.vehicle?.id;
  const run = async (form) => {
    const vehicleId = form.get("vehicleId");
    if (!vehicleId) throw new ApiError("Choose a vehicle first", "VALIDATION");
    const data = await request(session.key, "AddVehicleIdentifier", { vehicleId, value: token });
    onDone(data.addVehicleIdentifier);
  };
  return html`
    <${MutationDialog} title=${`Add ${token} to a vehicle`} submitLabel="Add to vehicle" onClose=${onClose} run=${run}>
      <p>The token becomes the vehicle's identifier (replacing its active one), and authorises charging from then on.</p>
      ${suggestion && html`
        <p class="notice">Suggested: ${suggestionInWords(suggestion)}. This driver tapped their RFID card on this station
          right after the token was rejected.${suggestedId ? " Their vehicle is chosen below: check it before adding." : ""}</p>
      `}
      ${choices.loading && html`<${Loading} what="vehicles" />`}
      <${ErrorMessage} error=${choices.error} />
      ${choices.data && !vehicles.length && html`<p class="muted">No active vehicle yet: add one under Users → Assets → Vehicles.</p>`}
      ${vehicles.length > 0 && html`
        <label>Vehicle
          <select name="vehicleId">
            ${vehicles.map((vehicle) => html`
              <option key=${vehicle.id} value=${vehicle.id} selected=${vehicle.id === suggestedId}>
                ${vehicle.licensePlate} — ${vehicle.user.name}${vehicle.id === suggestedId ? " (suggested)" : ""}
              </option>
            `)}
          </select>
        </label>
      `}
    <//>
  `;
}
