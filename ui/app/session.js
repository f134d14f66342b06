// The API key the user pasted, kept for this browser tab's session only (never in a URL, never in localStorage).
const KEY = "autocharge.apiKey";

export function storedKey() {
  return sessionStorage.getItem(KEY);
}

export function storeKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}
