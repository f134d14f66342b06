// The words the UI shows for the API's enum values.

export const ROLE_NAMES = { ADMIN: "Admin", READ_ONLY: "Read only" };

export const PAIRING_FAILURES = {
  IDENTIFIER_IN_USE: "This vehicle's identifier already belongs to another vehicle of this tenant.",
  VEHICLE_RETIRED: "The vehicle was retired while pairing was waiting.",
  NOT_UNIQUE:
    "The charger reported an identifier that many vehicles share (all zeros, all FF or a multicast address): " +
    "it cannot identify this vehicle, so nothing was stored.",
};

/** The failure reason in words; an unknown code is shown as it is rather than hidden. */
export function failureInWords(reason) {
  return PAIRING_FAILURES[reason] ?? `Pairing failed (${reason ?? "no reason given"}).`;
}

export const VEHICLE_STATUS = { ACTIVE: "Active", RETIRED: "Retired" };

export const CONNECTION_STATE = { CONNECTED: "Connected", DISCONNECTED: "Disconnected", NEVER_CONNECTED: "Never connected" };

export const ORIGINS = { AUTOCHARGE: "Auto charge", RFID: "RFID", REMOTE: "Remote" };

export const TRANSACTION_STATUS = { ACTIVE: "Charging", COMPLETED: "Completed" };

/** A timestamp from the API in the browser's locale and time zone. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" }) : "";
}

/** Watt-hours as kWh with two decimals. */
export function kwh(wh) {
  return wh == null ? "" : (wh / 1000).toFixed(2);
}

export const DIRECTION = { FROM_CHARGER: "From station", TO_CHARGER: "To station" };

export const MESSAGE_TYPE = { CALL: "Call", CALL_RESULT: "Result", CALL_ERROR: "Error" };

/** Yes or No, for a flag in a table cell. */
export function yesNo(flag) {
  return flag ? "Yes" : "No";
}

/** A suggestion from an RFID tap: "Dana Scully — AB123CD", or the user alone when no single vehicle is to pair. */
export function suggestionInWords({ user, vehicle }) {
  return vehicle ? `${user.name} — ${vehicle.licensePlate}` : `${user.name} (no single vehicle without an identifier)`;
}
