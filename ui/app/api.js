// The public GraphQL API, as any front end would call it: documents from ui/operations/*.graphql sent over
// HTTP (queries, mutations) or graphql-transport-ws (subscriptions), with the key as a Bearer token.
import { createClient } from "graphql-ws";

/** An error from the API or the network, in words: the message and a code (extensions.code or NETWORK). */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const documents = new Map();

/** The text of ui/operations/NAME.graphql, fetched once from this server. */
export async function operation(name) {
  if (!documents.has(name)) {
    documents.set(
      name,
      fetch(`/operations/${name}.graphql`).then(async (response) => {
        if (!response.ok) throw new ApiError(`The UI could not load its ${name} query`, `HTTP_${response.status}`);
        return response.text();
      }),
    );
  }
  try {
    return await documents.get(name);
  } catch (error) {
    documents.delete(name); // let a later attempt fetch it again
    throw error;
  }
}

function firstError(errors) {
  const error = errors[0] ?? {};
  return new ApiError(error.message ?? "The API answered with an error", error.extensions?.code ?? "ERROR");
}

/** Run the query or mutation in ui/operations/NAME.graphql with `key`; its data, or an ApiError. */
export async function request(key, name, variables = {}) {
  const query = await operation(name);
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables, operationName: name }),
    });
  } catch (error) {
    throw new ApiError(`The server could not be reached (${error.message})`, "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered HTTP ${response.status} without a GraphQL result`, `HTTP_${response.status}`);
  }
  if (body.errors?.length) throw firstError(body.errors);
  if (!body.data) throw new ApiError(`The server answered HTTP ${response.status} without data`, `HTTP_${response.status}`);
  return body.data;
}

/**
 * GET `path` with `params` and the key in the Authorization header (never in the URL), and hand the answer to
 * the browser as a download named `filename`; an error answer becomes an ApiError.
 */
export async function download(key, path, params, filename) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value != null && value !== ""));
  let response;
  try {
    response = await fetch(`${path}?${query}`, { headers: { Authorization: `Bearer ${key}` } });
  } catch (error) {
    throw new ApiError(`The server could not be reached (${error.message})`, "NETWORK");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new ApiError(body.error?.message ?? `The export failed with HTTP ${response.status}`, body.error?.code ?? `HTTP_${response.status}`);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000); // the browser has long started the download by then
}

let socket = null;

function websocketClient(key) {
  if (socket?.key !== key) {
    socket?.client.dispose();
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;
    // The key travels in connection_init's payload, as the API reads it; lazy: open while subscribed only.
    socket = { key, client: createClient({ url, connectionParams: { Authorization: `Bearer ${key}` }, lazy: true }) };
  }
  return socket.client;
}

/** Close the websocket (on sign out), so no subscription outlives the key. */
export function closeSubscriptions() {
  socket?.client.dispose();
  socket = null;
}

function subscriptionError(error) {
  if (error instanceof ApiError) return error;
  if (Array.isArray(error)) return firstError(error);
  if (error && typeof error.code === "number") {
    const reason = error.reason || (error.code === 4403 ? "the API key was refused" : "the connection closed");
    return new ApiError(`The live connection ended: ${reason}`, `WS_${error.code}`);
  }
  return new ApiError(error?.message ?? "The live connection failed", "NETWORK");
}

/**
 * Subscribe to ui/operations/NAME.graphql: `onData(data)` for each event, `onError(ApiError)`, `onComplete()`.
 * Returns a function that unsubscribes.
 */
export function subscribe(key, name, variables, { onData, onError, onComplete }) {
  let unsubscribe = null;
  let stopped = false;
  operation(name).then(
    (query) => {
      if (stopped) return;
      unsubscribe = websocketClient(key).subscribe(
        { query, variables, operationName: name },
        {
          next: (result) => (result.errors?.length ? onError(firstError(result.errors)) : onData(result.data)),
          error: (error) => onError(subscriptionError(error)),
          complete: () => onComplete?.(),
        },
      );
    },
    (error) => onError(subscriptionError(error)),
  );
  return () => {
    stopped = true;
    unsubscribe?.();
  };
}
