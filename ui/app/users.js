// The Users screen: a searchable, paged table; Columns menu (Vehicles hidden by default); Create user.
import { useState } from "preact/hooks";
import { ApiError, request } from "./api.js";
import { html } from "./html.js";
import { useQuery, useSearch } from "./hooks.js";
import { ACTIONS, ColumnsMenu, Dialog, Empty, ErrorMessage, Loading, MenuButton, Pager, Table } from "./components.js";

const PAGE_SIZES = [10, 25, 50];

export function UsersPage({ session }) {
  const [pageSize, setPageSize] = useState(25);
  // Cursors of the pages before this one: going back pops one, without asking the API for a "before".
  const [cursors, setCursors] = useState([null]);
  const [typed, setTyped, search] = useSearch(() => setCursors([null]));
  const [shown, setShown] = useState(new Set());
  const [creating, setCreating] = useState(false);
  const [reload, setReload] = useState(0);

  const after = cursors[cursors.length - 1];
  const withVehicles = shown.has("Vehicles");
  const result = useQuery(session.key, "Users", { first: pageSize, after, search: search || null, withVehicles }, reload);
  const users = result.data?.users;
  const page = cursors.length;
  return html`
    <section aria-labelledby="users-title">
      <div class="toolbar">
        <h1 id="users-title">Users</h1>
        ${session.canChange && html`<button type="button" class="primary" onClick=${() => setCreating(true)}>Create user</button>`}
      </div>
      <div class="toolbar">
        <label>Search <input type="search" value=${typed} placeholder="Name or email" onInput=${(e) => setTyped(e.currentTarget.value)} /></label>
        <${ColumnsMenu} columns=${["Vehicles"]} shown=${shown} onChange=${setShown} />
      </div>
      <${ErrorMessage} error=${result.error} />
      ${result.loading && html`<${Loading} what="users" />`}
      ${users && users.edges.length === 0 && html`<${Empty}>${search ? `No user matches “${search}”.` : "No users yet."}<//>`}
      ${users && users.edges.length > 0 && html`
        <${Table} caption=${`Users, page ${page}`} columns=${["Name", "Email", "RFID tags", withVehicles && "Vehicles", ACTIONS]}>
              ${users.edges.map(({ node }) => html`
                <tr key=${node.id}>
                  <td>${node.name}</td>
                  <td>${node.email}</td>
                  <td>${node.rfidTags.join(", ")}</td>
                  ${withVehicles && html`<td>${(node.vehicles ?? []).map((v) => v.licensePlate).join(", ")}</td>`}
                  <td>
                    <${MenuButton} label="More actions" className="row-menu">
                      <a href=${`#/users/${encodeURIComponent(node.id)}/vehicles`}>Assets → Vehicles</a>
                    <//>
                  </td>
                </tr>
              `)}
        <//>
      `}
      <${Pager} connection=${users} noun="users" cursors=${cursors} setCursors=${setCursors}>
        <label>Rows per page
          <select value=${pageSize} onChange=${(e) => (setPageSize(Number(e.currentTarget.value)), setCursors([null]))}>
            ${PAGE_SIZES.map((size) => html`<option value=${size}>${size}</option>`)}
          </select>
        </label>
      <//>
      ${creating && html`<${CreateUserDialog} session=${session} onClose=${() => setCreating(false)}
        onCreated=${() => (setCreating(false), setCursors([null]), setReload(reload + 1))} />`}
    </section>
  `;
}

function CreateUserDialog({ session, onClose, onCreated }) {
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = { name: String(form.get("name")).trim(), email: String(form.get("email")).trim() };
    if (!input.name || !input.email) {
      setError(new ApiError("Name and Email are both needed", "VALIDATION"));
      return;
    }
    setSaving(true);
    try {
      await request(session.key, "CreateUser", { input });
      onCreated();
    } catch (failure) {
      setError(failure);
      setSaving(false);
    }
  };
  return html`
    <${Dialog} title="Create user" onClose=${onClose}>
      <form onSubmit=${submit}>
        <label>Name <input name="name" required autocomplete="off" /></label>
        <label>Email <input name="email" type="email" required autocomplete="off" /></label>
        <${ErrorMessage} error=${error} />
        <div class="actions">
          <button type="submit" class="primary" disabled=${saving}>Save</button>
          <button type="button" onClick=${onClose}>Close</button>
        </div>
      </form>
    <//>
  `;
}
