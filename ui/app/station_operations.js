// A station's operations (Reset, Unlock connector, Change availability, Trigger message, Send local list), its
// Autocharge readiness with the switch to turn it on or off, and the settings it last reported, each change sent
// to the charger and shown once it accepts. Every answer is the charger's status in words, or the API's error.
import { useState } from "preact/hooks";
import { html } from "./html.js";
import { ACTIONS, Empty, ErrorMessage, Loading, MutationDialog, Table } from "./components.js";
import { ApiError, request } from "./api.js";
import { useQuery, useSearch } from "./hooks.js";
import { when, yesNo } from "./words.js";

const READINESS = {
  ENABLED: "Enabled",
  DISABLED: "Disabled",
  UNKNOWN: "Unknown",
};

const TRIGGERABLE = [
  ["BOOT_NOTIFICATION", "BootNotification"],
  ["HEARTBEAT", "Heartbeat"],
  ["STATUS_NOTIFICATION", "StatusNotification"],
  ["METER_VALUES", "MeterValues"],
];

/** The charger's answer in words: "Reset (Soft): the charger answered Accepted." */
const answered = (what, result) =>
  `${what}: the charger answered ${result.status}${result.accepted ? "." : " (not done)."}`;

/** A whole number typed in a form, or null when the field was left empty. */
function number(form, name) {
  const typed = String(form.get(name) ?? "").trim();
  return typed === "" ? null : Number.parseInt(typed, 10);
}

/** Operations, Autocharge readiness and Settings of the station `charger` (as loaded by the Station query). */
export function StationOperations({ session, charger }) {
  const [reload, setReload] = useState(0);
  const [typed, setTyped, search] = useSearch(() => {});
  const result = useQuery(session.key, "StationSettings", { id: charger.id, search: search || null }, reload);
  const refresh = () => setReload((count) => count + 1);
  const state = result.data?.charger;
  return html`
    ${session.canChange && html`<${Operations} session=${session} charger=${charger} onDone=${refresh} />`}
    <${Readiness} session=${session} charger=${charger} state=${state} result=${result} onDone=${refresh} />
    <${Settings} session=${session} charger=${charger} state=${state} result=${result} onDone=${refresh}
      typed=${typed} setTyped=${setTyped} search=${search} />
  `;
}

function Operations({ session, charger, onDone }) {
  const [open, setOpen] = useState(null); // the dialog shown: "reset", "unlock", "availability", "trigger", "list"
  const [answer, setAnswer] = useState(null);
  const close = () => setOpen(null);
  const show = (what) => (result) => {
    setOpen(null);
    setAnswer({ text: answered(what, result), accepted: result.accepted });
    onDone();
  };
  const opener = (name, label) => html`<button type="button" onClick=${() => (setAnswer(null), setOpen(name))}>${label}</button>`;
  const chargerId = charger.id;
  return html`
    <section aria-labelledby="operations-title">
      <h2 id="operations-title">Operations</h2>
      <div class="actions">
        ${opener("reset", "Reset")}
        ${opener("unlock", "Unlock connector")}
        ${opener("availability", "Change availability")}
        ${opener("trigger", "Trigger message")}
        ${opener("list", "Send local list")}
      </div>
      ${answer && html`<p class=${answer.accepted ? "notice" : "warning"} role="status">${answer.text}</p>`}
      ${open === "reset" && html`
        <${MutationDialog} title="Reset" submitLabel="Send" onClose=${close}
          run=${async (form) => {
            const kind = form.get("kind");
            const data = await request(session.key, "ResetCharger", { chargerId, kind });
            show(`Reset (${kind === "HARD" ? "Hard" : "Soft"})`)(data.resetCharger);
          }}>
          <fieldset>
            <legend>Kind</legend>
            <label><input type="radio" name="kind" value="SOFT" checked /> Soft</label>
            <label><input type="radio" name="kind" value="HARD" /> Hard</label>
          </fieldset>
        <//>
      `}
      ${open === "unlock" && html`
        <${MutationDialog} title="Unlock connector" submitLabel="Send" onClose=${close}
          run=${async (form) => {
            const connectorId = number(form, "connectorId");
            const data = await request(session.key, "UnlockConnector", { chargerId, connectorId });
            show(`Unlock connector ${connectorId}`)(data.unlockConnector);
          }}>
          <label>Connector <input type="number" name="connectorId" min="1" value="1" required /></label>
        <//>
      `}
      ${open === "availability" && html`
        <${MutationDialog} title="Change availability" submitLabel="Send" onClose=${close}
          run=${async (form) => {
            const availability = form.get("availability");
            const connectorId = number(form, "connectorId");
            const data = await request(session.key, "ChangeAvailability", { chargerId, availability, connectorId });
            const where = connectorId === 0 ? "the whole charger" : `connector ${connectorId}`;
            const what = availability === "OPERATIVE" ? "Operative" : "Inoperative";
            show(`Change availability of ${where} to ${what}`)(data.changeAvailability);
          }}>
          <label>Availability
            <select name="availability">
              <option value="OPERATIVE">Operative</option>
              <option value="INOPERATIVE">Inoperative</option>
            </select>
          </label>
          <label>Connector <input type="number" name="connectorId" min="0" value="0" required aria-describedby="availability-hint" /></label>
          <p class="muted" id="availability-hint">Connector 0 is the whole charger.</p>
        <//>
      `}
      ${open === "trigger" && html`
        <${MutationDialog} title="Trigger message" submitLabel="Send" onClose=${close}
          run=${async (form) => {
            const message = form.get("message");
            const connectorId = number(form, "connectorId");
            const data = await request(session.key, "TriggerMessage", { chargerId, message, connectorId });
            const name = TRIGGERABLE.find(([value]) => value === message)?.[1] ?? message;
            show(`Trigger ${name}`)(data.triggerMessage);
          }}>
          <label>Message
            <select name="message">
              ${TRIGGERABLE.map(([value, label]) => html`<option key=${value} value=${value}>${label}</option>`)}
            </select>
          </label>
          <label>Connector (optional) <input type="number" name="connectorId" min="0" /></label>
        <//>
      `}
      ${open === "list" && html`
        <${MutationDialog} title="Send local list" submitLabel="Send" onClose=${close}
          run=${async () => {
            const data = await request(session.key, "SendLocalList", { chargerId });
            show("Send local list")(data.sendLocalList);
          }}>
          <p>Sends the full list of the tenant's active vehicle identifiers and RFID tags, so that the charger
            authorises them while offline; later changes follow as differential updates.</p>
        <//>
      `}
    </section>
  `;
}

function Readiness({ session, charger, state, result, onDone }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [answer, setAnswer] = useState(null);
  const enabled = state?.autochargeReadiness === "ENABLED";
  const turn = async () => {
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      const data = await request(session.key, "SetAutochargeEnabled", { chargerId: charger.id, enabled: !enabled });
      const outcome = data.setAutochargeEnabled;
      setAnswer({ text: answered(`Turn Autocharge ${enabled ? "off" : "on"}`, outcome), accepted: outcome.accepted });
      onDone();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <section aria-labelledby="readiness-title">
      <h2 id="readiness-title">Autocharge readiness</h2>
      ${!state && result.loading && html`<${Loading} what="the Autocharge readiness" />`}
      ${state && html`
        <dl class="facts">
          <div><dt>Readiness</dt><dd>${READINESS[state.autochargeReadiness] ?? state.autochargeReadiness}</dd></div>
          <div><dt>Switch</dt><dd>${state.autochargeSettingKey ? html`<code>${state.autochargeSettingKey}</code>` : "none known"}</dd></div>
        </dl>
        ${session.canChange && state.autochargeSettingKey && html`
          <div class="actions">
            <button type="button" disabled=${busy} onClick=${turn}>${enabled ? "Turn Autocharge off" : "Turn Autocharge on"}</button>
          </div>
        `}
      `}
      ${answer && html`<p class=${answer.accepted ? "notice" : "warning"} role="status">${answer.text}</p>`}
      <${ErrorMessage} error=${error} />
    </section>
  `;
}

function Settings({ session, charger, state, result, onDone, typed, setTyped, search }) {
  const [editing, setEditing] = useState(null); // the setting being edited
  const [changed, setChanged] = useState(null);
  const [refreshing, setRefreshing] = useState(false);
  const [error, setError] = useState(null);
  const settings = state?.settings;
  const refreshSettings = async () => {
    setRefreshing(true);
    setError(null);
    setChanged(null);
    try {
      await request(session.key, "RefreshChargerSettings", { chargerId: charger.id });
      onDone();
    } catch (failure) {
      setError(failure);
    } finally {
      setRefreshing(false);
    }
  };
  const change = async (form) => {
    const value = String(form.get("value") ?? "");
    const data = await request(session.key, "ChangeChargerSetting", { chargerId: charger.id, key: editing.key, value });
    const outcome = data.changeChargerSetting;
    if (!outcome.accepted) {
      throw new ApiError(`The charger answered ${outcome.status}: ${editing.key} keeps its value`, outcome.status);
    }
    setChanged(`${editing.key} is now ${value}.`);
    setEditing(null);
    onDone();
  };
  return html`
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <p>Local list version: <strong>${state ? (state.localListVersion ?? "none sent") : "…"}</strong></p>
      <div class="toolbar">
        <label>Search settings
          <input type="search" value=${typed} onInput=${(event) => setTyped(event.currentTarget.value)} />
        </label>
        ${session.canChange && html`<button type="button" disabled=${refreshing} onClick=${refreshSettings}>Refresh settings</button>`}
      </div>
      ${refreshing && html`<p class="muted" role="status">Reading the charger's settings…</p>`}
      ${changed && html`<p class="notice" role="status">${changed}</p>`}
      <${ErrorMessage} error=${error} />
      <${ErrorMessage} error=${result.error} />
      ${!settings && result.loading && html`<${Loading} what="the settings" />`}
      ${settings && settings.length === 0 && html`<${Empty}>${search
        ? `No setting matches "${search}".`
        : "The charger has reported no settings yet."}<//>`}
      ${settings && settings.length > 0 && html`
        <${Table} caption="Settings the charger last reported"
          columns=${["Key", "Value", "Read-only", "Reported", session.canChange && ACTIONS]}>
          ${settings.map((setting) => html`
            <tr key=${setting.key}>
              <td><code>${setting.key}</code></td>
              <td>${setting.value ?? ""}</td>
              <td>${yesNo(setting.readonly)}</td>
              <td>${when(setting.reportedAt)}</td>
              ${session.canChange && html`<td>${!setting.readonly && html`
                <button type="button" aria-label=${`Edit ${setting.key}`} onClick=${() => (setChanged(null), setEditing(setting))}>Edit</button>`}</td>`}
            </tr>
          `)}
        <//>
      `}
      ${editing && html`
        <${MutationDialog} title=${`Edit ${editing.key}`} submitLabel="Send" onClose=${() => setEditing(null)} run=${change}>
          <label>Value <input name="value" value=${editing.value ?? ""} /></label>
          <p class="muted">The value changes here only once the charger accepts it.</p>
        <//>
      `}
    </section>
  `;
}
