// Display formatting. Money arrives as exact decimal strings and is only rounded here, for display.

const usdFmt = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const numFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });
const intFmt = new Intl.NumberFormat('en-US');

export const num = (s) => (s === undefined || s === null || s === '' ? NaN : Number(s));

const smallUsdFmt = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumSignificantDigits: 3, roundingPriority: 'morePrecision' });

/** USD to the cent; amounts under a cent keep three significant digits (a fee of $0.000737). */
export function usd(s) {
  const n = num(s);
  if (!Number.isFinite(n)) return '—';
  return n !== 0 && Math.abs(n) < 0.01 ? smallUsdFmt.format(n) : usdFmt.format(n);
}

/** A token amount: up to 6 decimals shown, the exact value in the title. */
export function amount(s) {
  const n = num(s);
  return Number.isFinite(n) ? numFmt.format(n) : '—';
}

export function int(s) {
  const n = num(s);
  return Number.isFinite(n) ? intFmt.format(n) : '—';
}

/** A fraction as a signed percentage. */
export function pct(x, signed = true) {
  if (x === undefined || x === null || !Number.isFinite(x)) return '—';
  const v = (x * 100).toFixed(2);
  return `${signed && x > 0 ? '+' : ''}${v} %`;
}

export function bps(x) {
  return x === undefined || x === null || !Number.isFinite(x) ? '—' : x.toFixed(1);
}

export function sol(lamports) {
  const n = num(lamports);
  return Number.isFinite(n) ? `${numFmt.format(n / 1e9)} SOL` : '—';
}

/** A price: 6 significant digits at most, the exact value in the title. */
export function price(s) {
  const n = num(s);
  if (!Number.isFinite(n)) return '—';
  return n >= 1 ? n.toLocaleString('en-US', { maximumFractionDigits: 4 }) : n.toPrecision(6);
}

export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 23)}`;
}

export const signClass = (x) => (x > 0 ? 'up' : x < 0 ? 'down' : '');

export function micros(us) {
  if (!Number.isFinite(us)) return '—';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

/** An element with attributes and children (strings become text: nothing is parsed as HTML). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
