// The dashboard's calls to the JSON API (docs/dashboard.md). The API key, when the server requires
// one, is kept in sessionStorage for this tab only and sent as the x-api-key header, also on the live
// stream: it is read with fetch and a stream reader rather than EventSource, which cannot send headers.

const KEY_STORE = 'pte.apiKey';

export function apiKey() {
  return sessionStorage.getItem(KEY_STORE) ?? '';
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORE, key);
  else sessionStorage.removeItem(KEY_STORE);
}

function headers(extra = {}) {
  const h = { accept: 'application/json', ...extra };
  const key = apiKey();
  if (key) h['x-api-key'] = key;
  return h;
}

/** An answer other than 2xx: the API's {code, status, message, field}. */
export class ApiError extends Error {
  constructor(httpStatus, body) {
    super(body?.message ?? `HTTP ${httpStatus}`);
    this.name = 'ApiError';
    this.httpStatus = httpStatus;
    this.code = body?.code ?? 'UNKNOWN';
    this.field = body?.field;
  }
}

async function answer(res) {
  const text = await res.text();
  let body;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = { message: text.slice(0, 300) };
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export async function get(path, params = {}) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
  const url = q.size > 0 ? `${path}?${q}` : path;
  return answer(await fetch(url, { headers: headers() }));
}

export async function post(path, body) {
  return answer(await fetch(path, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body ?? {}) }));
}

/**
 * Follows a server-sent event stream: calls onEvent with each event's parsed data and onState with
 * 'open', 'closed' or an ApiError. Reconnects after a drop (1 s, then up to 15 s) and calls onEvent
 * with {reconnected: true} so the page reloads what it may have missed. Returns the stop function.
 */
export function follow(path, onEvent, onState) {
  let stopped = false;
  let controller;
  let delay = 1000;
  let first = true;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal: controller.signal });
        if (!res.ok) {
          const err = await answer(res).catch((e) => e);
          onState(err);
          if (res.status === 401 || res.status === 403 || res.status === 400 || res.status === 404) return;
        } else {
          onState('open');
          if (!first) onEvent({ reconnected: true });
          first = false;
          delay = 1000;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
              if (data !== '') onEvent(JSON.parse(data));
            }
          }
        }
      } catch (e) {
        if (stopped) return;
        onState(e instanceof ApiError ? e : 'closed');
      }
      if (stopped) return;
      onState('closed');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
