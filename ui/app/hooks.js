// Hooks over the API for the screens: a query's result kept in state, and a subscription while mounted.
import { useEffect, useRef, useState } from "preact/hooks";
import { request, subscribe } from "./api.js";

/**
 * The data of ui/operations/NAME.graphql for `variables`, asked again when they or `reload` change:
 * `{ loading, data, error }`; the previous data stays shown while the next answer loads.
 */
export function useQuery(key, name, variables, reload = 0) {
  const [result, setResult] = useState({ loading: true });
  const asked = JSON.stringify(variables);
  useEffect(() => {
    let current = true;
    setResult((previous) => ({ ...previous, loading: true, error: null }));
    request(key, name, variables).then(
      (data) => current && setResult({ loading: false, data }),
      (error) => current && setResult({ loading: false, error }),
    );
    return () => {
      current = false;
    };
  }, [key, name, asked, reload]);
  return result;
}

/**
 * Subscribe to ui/operations/NAME.graphql while mounted (again when `variables` change): `onData(data)` per
 * event, always the latest callback. Returns the subscription's error (an ApiError) or null.
 */
export function useSubscription(key, name, variables, onData) {
  const [error, setError] = useState(null);
  const latest = useRef(onData);
  latest.current = onData;
  const asked = JSON.stringify(variables);
  useEffect(() => {
    setError(null);
    return subscribe(key, name, variables, { onData: (data) => latest.current(data), onError: setError });
  }, [key, name, asked]);
  return error;
}

const SEARCH_DELAY_MS = 250; // one request when the user pauses typing, not one per key

/**
 * What is typed in a search box, and the search it asks for once typing pauses (`onSearch` then runs too, e.g.
 * to go back to the first page): `[typed, setTyped, search]`.
 */
export function useSearch(onSearch) {
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  useEffect(() => {
    if (typed.trim() === search) return undefined; // nothing new to look for: keep the page the user is on
    const timer = setTimeout(() => {
      setSearch(typed.trim());
      onSearch();
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed, search]);
  return [typed, setTyped, search];
}
