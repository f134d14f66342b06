// The words the UI shows for the API's enum values.

export const ROLE_NAMES = { ADMIN: "Admin", READ_ONLY: "Read only" };

export const PAIRING_FAILURES = {
  IDENTIFIER_IN_USE: "This vehicle's identifier already belongs to another vehicle of this tenant.",
  VEHICLE_RETIRED: "The vehicle was retired while pairing was waiting.",
};

/** The failure reason in words; an unknown code is shown as it is rather than hidden. */
export function failureInWords(reason) {
  return PAIRING_FAILURES[reason] ?? `Pairing failed (${reason ?? "no reason given"}).`;
}

export const VEHICLE_STATUS = { ACTIVE: "Active", RETIRED: "Retired" };

export const CONNECTION_STATE = { CONNECTED: "Connected", DISCONNECTED: "Disconnected", NEVER_CONNECTED: "Never connected" };
