// Small shared pieces: error, loading and empty states, a modal dialog and a form in one, a menu button, the
// Columns menu and the pager of a cursor-paged list.
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { html } from "./html.js";

/** An API error in words: its message and its code, announced to screen readers. */
export function ErrorMessage({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error.message} <span class="code">(${error.code ?? "ERROR"})</span></p>`;
}

export function Loading({ what }) {
  return html`<p class="muted" role="status">Loading ${what}…</p>`;
}

export function Empty({ children }) {
  return html`<p class="muted empty">${children}</p>`;
}

/** A native modal <dialog> (focus trapped, Escape closes), open while mounted; `onClose` when dismissed. */
export function Dialog({ title, onClose, children }) {
  const ref = useRef(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    dialog.showModal();
    return () => dialog.open && dialog.close();
  }, []);
  return html`
    <dialog ref=${ref} aria-labelledby=${titleId} onCancel=${(event) => (event.preventDefault(), onClose())}>
      <h2 id=${titleId}>${title}</h2>
      ${children}
    </dialog>
  `;
}

/** A form in a dialog that runs one mutation and shows its error in words, keeping what was typed. */
export function MutationDialog({ title, submitLabel, onClose, run, children }) {
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      await run(new FormData(event.currentTarget));
    } catch (failure) {
      setError(failure);
      setSaving(false);
    }
  };
  return html`
    <${Dialog} title=${title} onClose=${onClose}>
      <form onSubmit=${submit}>
        ${children}
        <${ErrorMessage} error=${error} />
        <div class="actions">
          <button type="submit" class="primary" disabled=${saving}>${submitLabel}</button>
          <button type="button" onClick=${onClose}>Close</button>
        </div>
      </form>
    <//>
  `;
}

/** A button that opens a list of items (role menu); Escape or a click elsewhere closes it. */
export function MenuButton({ label, children, className = "" }) {
  const [open, setOpen] = useState(false);
  const ref = useRef(null);
  const menuId = useId();
  useEffect(() => {
    if (!open) return undefined;
    const outside = (event) => ref.current && !ref.current.contains(event.target) && setOpen(false);
    const escape = (event) => event.key === "Escape" && setOpen(false);
    document.addEventListener("click", outside);
    document.addEventListener("keydown", escape);
    return () => {
      document.removeEventListener("click", outside);
      document.removeEventListener("keydown", escape);
    };
  }, [open]);
  return html`
    <div class="menu ${className}" ref=${ref}>
      <button type="button" aria-haspopup="true" aria-expanded=${open} aria-controls=${menuId} onClick=${() => setOpen(!open)}>
        ${label}
      </button>
      ${open && html`<div class="menu-items" id=${menuId}>${children}</div>`}
    </div>
  `;
}

/** The "Columns" menu: a checkbox per optional column; `shown` is a Set of column names. */
export function ColumnsMenu({ columns, shown, onChange }) {
  const toggle = (name, checked) => {
    const next = new Set(shown);
    if (checked) next.add(name);
    else next.delete(name);
    onChange(next);
  };
  return html`
    <${MenuButton} label="Columns">
      <fieldset>
        <legend>Show columns</legend>
        ${columns.map(
          (name) => html`<label key=${name}>
            <input type="checkbox" checked=${shown.has(name)} onChange=${(event) => toggle(name, event.currentTarget.checked)} />
            ${name}
          </label>`,
        )}
      </fieldset>
    <//>
  `;
}

/** Previous and next page over a connection (`pageInfo`, `totalCount`), by a stack of `cursors` (null first). */
export function Pager({ connection, noun, cursors, setCursors, children }) {
  const page = cursors.length;
  return html`
    <nav class="pager" aria-label="Pages">
      ${children}
      ${connection && html`<span>Page ${page} · ${connection.totalCount} ${noun}</span>`}
      <button type="button" disabled=${page === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>
      <button type="button" disabled=${!connection?.pageInfo.hasNextPage}
        onClick=${() => setCursors([...cursors, connection.pageInfo.endCursor])}>Next page</button>
    </nav>
  `;
}

/** The column name of a row's buttons: a header cell that only screen readers read. */
export const ACTIONS = "Actions";

/**
 * A table that scrolls sideways on a narrow screen, with a caption for screen readers and a header cell per
 * column; a false column (one hidden or not for this key) is left out. `children` are the body's rows.
 */
export function Table({ caption, columns, className, children }) {
  const header = (name) => (name === ACTIONS ? html`<span class="visually-hidden">${ACTIONS}</span>` : name);
  return html`
    <div class="table-wrap">
      <table class=${className}>
        <caption class="visually-hidden">${caption}</caption>
        <thead>
          <tr>${columns.filter(Boolean).map((name) => html`<th key=${name} scope="col">${header(name)}</th>`)}</tr>
        </thead>
        <tbody>${children}</tbody>
      </table>
    </div>
  `;
}
