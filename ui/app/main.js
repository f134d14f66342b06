// The back office's shell: Sign in, the header (tenant name and role, Sign out) and the screens by URL hash.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { closeSubscriptions, request } from "./api.js";
import { html } from "./html.js";
import { ErrorMessage, Loading } from "./components.js";
import { forgetKey, storedKey, storeKey } from "./session.js";
import { StationPage, StationsPage } from "./stations.js";
import { TransactionsPage } from "./transactions.js";
import { UsersPage } from "./users.js";
import { UserVehiclesPage } from "./vehicles.js";
import { VehiclePage, VehiclesPage } from "./fleet.js";
import { ROLE_NAMES } from "./words.js";

/** Who the key belongs to, as the screens use it; `canChange` hides every mutating button from READ_ONLY. */
async function signIn(key) {
  const { me } = await request(key, "Me");
  return { key, tenantName: me.tenantName, role: me.role, canChange: me.role === "ADMIN" };
}

function SignIn({ onSignedIn, error: initialError }) {
  const [error, setError] = useState(initialError);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const key = String(new FormData(event.currentTarget).get("apiKey") ?? "").trim();
    if (!key) {
      setError({ message: "Paste an API key first", code: "VALIDATION" });
      return;
    }
    setBusy(true);
    try {
      const session = await signIn(key);
      storeKey(key);
      onSignedIn(session);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  return html`
    <main class="sign-in">
      <h1>Autocharge back office</h1>
      <form onSubmit=${submit}>
        <label>API key <input name="apiKey" type="password" autocomplete="off" spellcheck="false" /></label>
        <p class="muted">Kept for this browser tab only. An admin creates keys with <code>autocharge admin</code>.</p>
        <${ErrorMessage} error=${error} />
        <button type="submit" class="primary" disabled=${busy}>Sign in</button>
      </form>
    </main>
  `;
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

function Screen({ session, hash }) {
  const vehicles = /^#\/users\/([^/]+)\/vehicles$/.exec(hash);
  if (vehicles) return html`<${UserVehiclesPage} session=${session} userId=${decodeURIComponent(vehicles[1])} />`;
  const vehicle = /^#\/vehicles\/([^/]+)$/.exec(hash);
  if (vehicle) return html`<${VehiclePage} session=${session} vehicleId=${decodeURIComponent(vehicle[1])} />`;
  if (hash === "#/vehicles") return html`<${VehiclesPage} session=${session} />`;
  const station = /^#\/stations\/([^/]+)$/.exec(hash);
  if (station) return html`<${StationPage} session=${session} chargerId=${decodeURIComponent(station[1])} />`;
  if (hash === "#/stations") return html`<${StationsPage} session=${session} />`;
  if (hash === "#/transactions") return html`<${TransactionsPage} session=${session} />`;
  return html`<${UsersPage} session=${session} />`;
}

function App() {
  const [session, setSession] = useState(null);
  const [restoring, setRestoring] = useState(Boolean(storedKey()));
  const [restoreError, setRestoreError] = useState(null);
  const hash = useHash();

  useEffect(() => {
    const key = storedKey();
    if (!key) return;
    signIn(key).then(setSession, (failure) => {
      forgetKey(); // a revoked or mistyped key: ask again, saying why
      setRestoreError(failure);
    }).finally(() => setRestoring(false));
  }, []);

  const signOut = () => {
    forgetKey();
    closeSubscriptions();
    setSession(null);
  };

  if (restoring) return html`<${Loading} what="your session" />`;
  if (!session) return html`<${SignIn} onSignedIn=${setSession} error=${restoreError} />`;
  return html`
    <header class="top">
      <nav aria-label="Main">
        <a href="#/users" aria-current=${hash.startsWith("#/users") || !hash ? "page" : undefined}>Users</a>
        <a href="#/vehicles" aria-current=${hash.startsWith("#/vehicles") ? "page" : undefined}>Vehicles</a>
        <a href="#/stations" aria-current=${hash.startsWith("#/stations") ? "page" : undefined}>Stations</a>
        <a href="#/transactions" aria-current=${hash === "#/transactions" ? "page" : undefined}>Transactions</a>
      </nav>
      <p class="who"><span class="tenant">${session.tenantName}</span> · <span class="role">${ROLE_NAMES[session.role] ?? session.role}</span></p>
      <button type="button" onClick=${signOut}>Sign out</button>
    </header>
    <main><${Screen} session=${session} hash=${hash} /></main>
  `;
}

const root = document.getElementById("app");
root.replaceChildren(); // the page's static "Loading…" placeholder: Preact renders next to what is there
render(html`<${App} />`, root);
