/**
 * The HTML tearsheet of `pte report --html FILE`: one self-contained file (inline CSS, inline SVG
 * charts drawn here, no script, no font, no image, nothing fetched; its Content-Security-Policy forbids
 * any request), so it opens offline and can be mailed or archived as is. Pure: a function of the
 * report messages. Every piece of text from a report is escaped before it enters the document.
 */
import type { PortfolioReportMessage } from '../client/index.js';
import { groupDigits, roundDecimal, symbolOf, timestamp, usd } from './format.js';
import { COMPARISON_COLUMNS, comparisonCells, COST_ROWS, duration, feesUsd, msOf, percent, ratioText, tradeCountsText, usdFine, type ReportRow } from './report-format.js';

/** Text for HTML content and attribute values: & < > " ' escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const esc = escapeHtml;

/** A number for an SVG attribute: finite, two decimals. */
const n = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0');

const num = (s: string): number => {
  const x = Number(s);
  return Number.isFinite(x) ? x : 0;
};

const COLORS = { value: '#2563eb', benchmark: '#9ca3af', drawdown: '#dc2626', cost: '#dc2626', saving: '#16a34a', total: '#111827', grid: '#e5e7eb', axis: '#6b7280' };

/** About `count` round steps covering [lo, hi]: 1, 2, 2.5 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

const DAY = 86_400_000;

/** Time ticks: whole days (or hours on a short range), about `count` of them. */
function timeTicks(lo: number, hi: number, count = 6): { at: number; label: string }[] {
  const span = hi - lo;
  if (span <= 0) return [{ at: lo, label: new Date(lo).toISOString().slice(0, 10) }];
  const steps = [3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY];
  const step = steps.find((s) => span / s <= count) ?? 365 * DAY;
  const out: { at: number; label: string }[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) {
    const iso = new Date(t).toISOString();
    out.push({ at: t, label: step < DAY ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10) });
  }
  return out;
}

interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
  /** Fill the area between the line and zero. */
  readonly area?: boolean;
}

interface ChartOptions {
  readonly width: number;
  readonly height: number;
  readonly yLabel: (v: number) => string;
  /** Include zero in the value range. */
  readonly withZero?: boolean;
  readonly title: string;
}

/** A time-series chart: gridlines and labelled axes, one polyline (or area) per series, a legend. */
export function lineChart(times: readonly number[], series: readonly Series[], o: ChartOptions): string {
  const left = 76;
  const right = 16;
  const top = 28;
  const bottom = 30;
  const w = o.width - left - right;
  const h = o.height - top - bottom;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  if (o.withZero === true) all.push(0);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - Math.max(1, Math.abs(lo) * 0.01), hi + Math.max(1, Math.abs(hi) * 0.01)];
  const pad = (hi - lo) * 0.06;
  if (!(o.withZero === true && hi === 0)) hi += pad;
  if (!(o.withZero === true && lo === 0)) lo -= pad;
  const t0 = times[0] ?? 0;
  const t1 = times[times.length - 1] ?? t0;
  const x = (t: number): number => left + (t1 === t0 ? w / 2 : ((t - t0) / (t1 - t0)) * w);
  const y = (v: number): number => top + h - ((v - lo) / (hi - lo)) * h;
  const parts: string[] = [];
  parts.push(`<text x="${left}" y="16" class="ct">${esc(o.title)}</text>`);
  for (const v of niceTicks(lo, hi, Math.max(4, Math.round(h / 45)))) {
    if (v < lo || v > hi) continue;
    parts.push(`<line x1="${left}" x2="${left + w}" y1="${n(y(v))}" y2="${n(y(v))}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${left - 6}" y="${n(y(v) + 4)}" text-anchor="end" class="ax">${esc(o.yLabel(v))}</text>`);
  }
  for (const tk of timeTicks(t0, t1)) {
    parts.push(`<line x1="${n(x(tk.at))}" x2="${n(x(tk.at))}" y1="${top}" y2="${top + h}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${n(x(tk.at))}" y="${top + h + 18}" text-anchor="middle" class="ax">${esc(tk.label)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left + w}" y1="${top + h}" y2="${top + h}" stroke="${COLORS.axis}"/>`);
  for (const s of series) {
    const pts = times.map((t, i) => `${n(x(t))},${n(y(s.values[i] ?? 0))}`);
    if (pts.length === 1) {
      parts.push(`<circle cx="${n(x(t0))}" cy="${n(y(s.values[0] ?? 0))}" r="3" fill="${s.color}"/>`);
      continue;
    }
    if (s.area === true) {
      const base = n(y(Math.min(Math.max(0, lo), hi)));
      parts.push(`<path d="M${n(x(t0))},${base} L${pts.join(' L')} L${n(x(t1))},${base} Z" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`);
    }
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.8" stroke-linejoin="round"/>`);
  }
  // Legend, top right.
  let lx = left + w;
  for (const s of [...series].reverse()) {
    const tw = s.name.length * 6.6 + 26;
    lx -= tw;
    parts.push(`<rect x="${n(lx)}" y="8" width="14" height="4" fill="${s.color}"/><text x="${n(lx + 18)}" y="14" class="lg">${esc(s.name)}</text>`);
  }
  return `<svg class="chart" viewBox="0 0 ${o.width} ${o.height}" width="${o.width}" height="${o.height}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

/**
 * The cost waterfall: each component a bar from the running total before it to the running total
 * after it (a negative slippage steps down), then the total from zero.
 */
export function costWaterfall(r: PortfolioReportMessage, width = 1040, height = 260): string {
  const c = r.costs;
  const steps = COST_ROWS.map(([k, label]) => ({ label, value: num(c?.[k] ?? '0'), text: usdFine(c?.[k] ?? '0') }));
  const total = num(c?.totalUsd ?? '0');
  const left = 76;
  const right = 16;
  const top = 28;
  const bottom = 40;
  const w = width - left - right;
  const h = height - top - bottom;
  let run = 0;
  const bars = steps.map((s) => {
    const from = run;
    run += s.value;
    return { ...s, from, to: run };
  });
  const values = [0, total, ...bars.flatMap((b) => [b.from, b.to])];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) hi = lo + 1;
  const pad = (hi - lo) * 0.12;
  hi += pad;
  if (lo < 0) lo -= pad;
  const y = (v: number): number => top + h - ((v - lo) / (hi - lo)) * h;
  const slot = w / (bars.length + 1);
  const bw = Math.min(70, slot * 0.62);
  const parts: string[] = [`<text x="${left}" y="16" class="ct">What realism cost (USD, cumulative)</text>`];
  for (const v of niceTicks(lo, hi, 5)) {
    if (v < lo || v > hi) continue;
    parts.push(`<line x1="${left}" x2="${left + w}" y1="${n(y(v))}" y2="${n(y(v))}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${left - 6}" y="${n(y(v) + 4)}" text-anchor="end" class="ax">${esc(axisUsd(v))}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left + w}" y1="${n(y(0))}" y2="${n(y(0))}" stroke="${COLORS.axis}"/>`);
  const all = [...bars.map((b) => ({ ...b, color: b.value < 0 ? COLORS.saving : COLORS.cost })), { label: 'total', value: total, text: usdFine(c?.totalUsd ?? '0'), from: 0, to: total, color: COLORS.total }];
  all.forEach((b, i) => {
    const cx = left + slot * i + slot / 2;
    const yTop = y(Math.max(b.from, b.to));
    const hBar = Math.max(1, Math.abs(y(b.from) - y(b.to)));
    parts.push(`<rect x="${n(cx - bw / 2)}" y="${n(yTop)}" width="${n(bw)}" height="${n(hBar)}" fill="${b.color}" fill-opacity="${b.label === 'total' ? 0.85 : 0.7}"><title>${esc(`${b.label}: ${b.text}`)}</title></rect>`);
    if (i < all.length - 1) {
      const next = all[i + 1];
      if (next && next.label !== 'total') parts.push(`<line x1="${n(cx + bw / 2)}" x2="${n(cx + slot - bw / 2)}" y1="${n(y(b.to))}" y2="${n(y(b.to))}" stroke="${COLORS.axis}" stroke-dasharray="3 3"/>`);
    }
    parts.push(`<text x="${n(cx)}" y="${n(yTop - 5)}" text-anchor="middle" class="vl">${esc(b.text)}</text>`);
    parts.push(`<text x="${n(cx)}" y="${top + h + 18}" text-anchor="middle" class="ax">${esc(b.label)}</text>`);
  });
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="cost waterfall" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

/** Daily returns as bars (gains green, losses red), one per UTC day with a mark. */
export function dailyReturnsChart(r: PortfolioReportMessage, width = 1040, height = 170): string {
  const days = r.dailyReturns;
  const left = 76;
  const right = 16;
  const top = 28;
  const bottom = 30;
  const w = width - left - right;
  const h = height - top - bottom;
  const parts: string[] = [`<text x="${left}" y="16" class="ct">Daily returns (%)</text>`];
  if (days.length === 0) {
    parts.push(`<text x="${left}" y="${top + h / 2}" class="ax">no daily return in the range (it holds less than one UTC day of marks)</text>`);
    return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="daily returns" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
  }
  const vals = days.map((d) => (Number.isFinite(d.dailyReturn) ? d.dailyReturn * 100 : 0));
  let lo = Math.min(0, ...vals);
  let hi = Math.max(0, ...vals);
  if (hi === lo) hi = lo + 1;
  const pad = (hi - lo) * 0.08;
  if (hi > 0) hi += pad;
  if (lo < 0) lo -= pad;
  const y = (v: number): number => top + h - ((v - lo) / (hi - lo)) * h;
  for (const v of niceTicks(lo, hi, 4)) {
    if (v < lo || v > hi) continue;
    parts.push(`<line x1="${left}" x2="${left + w}" y1="${n(y(v))}" y2="${n(y(v))}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${left - 6}" y="${n(y(v) + 4)}" text-anchor="end" class="ax">${esc(`${v === 0 ? '0' : v.toFixed(Math.abs(v) < 1 ? 2 : 1)} %`)}</text>`);
  }
  const slot = w / days.length;
  const bw = Math.max(1, Math.min(40, slot * 0.7));
  const every = Math.max(1, Math.ceil(days.length / 8));
  days.forEach((d, i) => {
    const v = vals[i] ?? 0;
    const cx = left + slot * i + slot / 2;
    const y0 = y(Math.max(0, v));
    const hb = Math.max(1, Math.abs(y(v) - y(0)));
    parts.push(`<rect x="${n(cx - bw / 2)}" y="${n(y0)}" width="${n(bw)}" height="${n(hb)}" fill="${v < 0 ? COLORS.cost : COLORS.saving}" fill-opacity="0.75"><title>${esc(`${d.day}: ${percent(d.dailyReturn, true)}, close ${usd(d.valueUsd)}`)}</title></rect>`);
    if (i % every === 0) parts.push(`<text x="${n(cx)}" y="${top + h + 18}" text-anchor="middle" class="ax">${esc(d.day)}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${left + w}" y1="${n(y(0))}" y2="${n(y(0))}" stroke="${COLORS.axis}"/>`);
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="daily returns" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

/** Axis labels: "$12,250", "$950", "$2.5", "$0.05", "$1.25M". */
export function axisUsd(v: number): string {
  const a = Math.abs(v);
  const sign = v < 0 ? '-' : '';
  if (a >= 1e6) return `${sign}$${String(Math.round((a / 1e6) * 100) / 100)}M`;
  if (a >= 100 || a === 0) return `${sign}$${Math.round(a).toLocaleString('en-US')}`;
  if (a >= 1) return `${sign}$${String(Math.round(a * 100) / 100)}`;
  return `${sign}$${a.toPrecision(2)}`;
}

function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[] = []): string {
  const th = header.map((h, i) => `<th${numeric[i] === true ? ' class="r"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] === true ? ' class="r"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

const signClass = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) || x === 0 ? '' : x > 0 ? ' pos' : ' neg');

function card(label: string, value: string, sub: string, cls = ''): string {
  return `<div class="card"><div class="k">${esc(label)}</div><div class="v${cls}">${esc(value)}</div><div class="s">${esc(sub)}</div></div>`;
}

/** One portfolio's section: key figures, the three charts, the tables. */
export function reportSection(r: PortfolioReportMessage): string {
  const times = r.equity.map((p) => msOf(p.at) ?? 0);
  const d = r.drawdown;
  const c = r.closes;
  const cards = [
    card('Value', usd(r.endValueUsd), `from ${usd(r.startValueUsd)}`),
    card('Return', percent(r.totalReturn, true), `buy-and-hold ${percent(r.benchmarkReturn, true)}; excess ${percent(r.excessReturn, true)}`, signClass(r.totalReturn)),
    card('PnL', usd(r.realizedPnlUsd), `realized; unrealized ${usd(r.unrealizedPnlUsd)}`, signClass(num(r.realizedPnlUsd))),
    card('Max drawdown', percent(d?.max), `${usd(d?.maxUsd ?? '0')}; now ${percent(d?.current)}; longest ${duration(num(d?.longestDurationMs ?? '0'))}`),
    card('Sharpe / Sortino', `${ratioText(r.sharpe)} / ${ratioText(r.sortino)}`, `${r.dailyReturns.length} daily returns`),
    card('Trades', groupDigits(r.trades?.total ?? '0'), tradeCountsText(r.trades).replace(/^[\d,]+ \(|\)$/g, '')),
    card('Win rate', percent(c?.winRate), `${c?.closes ?? '0'} closes; profit factor ${ratioText(c?.profitFactor)}`),
    card('Realism cost', usdFine(r.costs?.totalUsd ?? '0'), `of which fees ${usdFine(feesUsd(r.costs))}`),
  ].join('');
  const equity = lineChart(
    times,
    [
      { name: 'portfolio', color: COLORS.value, values: r.equity.map((p) => num(p.valueUsd)) },
      { name: 'buy and hold', color: COLORS.benchmark, values: r.equity.map((p) => num(p.benchmarkUsd)) },
    ],
    { width: 1040, height: 320, yLabel: axisUsd, title: 'Equity (USD) vs buy-and-hold' },
  );
  const drawdown = lineChart(times, [{ name: 'drawdown', color: COLORS.drawdown, values: r.equity.map((p) => -p.drawdown * 100), area: true }], {
    width: 1040,
    height: 170,
    withZero: true,
    yLabel: (v) => `${v === 0 ? '0' : v.toFixed(Math.abs(v) < 1 ? 2 : 1)} %`,
    title: 'Drawdown from the running peak (%)',
  });
  const costRows = COST_ROWS.map(([k, label]) => [label, usdFine(r.costs?.[k] ?? '0')]);
  costRows.push(['total', usdFine(r.costs?.totalUsd ?? '0')]);
  const groups = htmlTable(
    [r.groupBy, 'trades', 'filled', 'failed', 'volume', 'realized PnL', 'closes', 'win rate', 'cost'],
    r.groups.map((g) => [
      g.untagged ? '(untagged)' : g.value,
      groupDigits(g.trades?.total ?? '0'),
      groupDigits(g.trades?.filled ?? '0'),
      String(num(g.trades?.failedSlippage ?? '0') + num(g.trades?.failedMev ?? '0')),
      usd(g.volumeUsd),
      usd(g.realizedPnlUsd),
      g.closes?.closes ?? '0',
      percent(g.closes?.winRate),
      usdFine(g.costs?.totalUsd ?? '0'),
    ]),
    [false, true, true, true, true, true, true, true, true],
  );
  const tokens = htmlTable(
    ['token', 'start', 'end', 'realized PnL', 'cost basis', 'end value', 'unrealized PnL'],
    r.tokens.map((t) => [
      symbolOf(t.token),
      groupDigits(roundDecimal(t.startAmount, 6)),
      groupDigits(roundDecimal(t.endAmount, 6)),
      usd(t.realizedPnlUsd),
      usd(t.costBasisUsd),
      usd(t.endValueUsd),
      usd(t.unrealizedPnlUsd),
    ]),
    [false, true, true, true, true, true, true],
  );
  return `<section class="portfolio">
<h2>Portfolio <span class="id">${esc(r.portfolioId)}</span></h2>
<p class="range">${esc(timestamp(r.from))} to ${esc(timestamp(r.to))} &middot; ${esc(groupDigits(r.markCount))} marks</p>
<div class="cards">${cards}</div>
<div class="panel">${equity}</div>
<div class="panel">${drawdown}</div>
<div class="panel">${dailyReturnsChart(r)}</div>
<div class="panel">${costWaterfall(r)}</div>
<div class="grid2">
<div><h3>What realism cost</h3>${htmlTable(['component', 'USD'], costRows, [false, true])}</div>
<div><h3>By token</h3>${tokens}</div>
</div>
<h3>By ${esc(r.groupBy)}</h3>${r.groups.length === 0 ? '<p class="muted">no trades in the range</p>' : groups}
<p class="muted small">Sharpe and Sortino: ${esc(r.ratioMethod)}.</p>
</section>`;
}

function comparison(rows: readonly ReportRow[]): string {
  const ok = rows.flatMap((x) => ('report' in x ? [x.report] : []));
  const table = htmlTable(
    COMPARISON_COLUMNS,
    ok.map(comparisonCells),
    [false, true, true, true, true, true, true, true, true, true, true],
  );
  const failed = rows.flatMap((x) => ('error' in x ? [`<li><b>${esc(x.portfolioId)}</b>: ${esc(x.error)}</li>`] : []));
  return `<section><h2>Side by side</h2>${table}${failed.length > 0 ? `<p>No report for:</p><ul>${failed.join('')}</ul>` : ''}</section>`;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#111827;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 28px 40px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#6b7280}
section{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:20px 24px;margin-top:20px}
h2{margin:0 0 2px;font-size:18px}
h2 .id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
h3{margin:22px 0 8px;font-size:15px}
.range{margin:0 0 14px;color:#6b7280}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.card{border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px;background:#fafafa}
.card .k{color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:20px;font-weight:600;margin:2px 0}
.card .s{color:#6b7280;font-size:12px}
.pos{color:#15803d}.neg{color:#b91c1c}
.panel{margin-top:16px}
svg.chart{display:block;width:100%;height:auto;font-family:inherit}
svg .ct{font-size:13px;font-weight:600;fill:#111827}
svg .ax{font-size:11px;fill:#6b7280}
svg .lg{font-size:11px;fill:#374151}
svg .vl{font-size:11px;fill:#111827}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #e5e7eb;text-align:left;white-space:nowrap}
th{color:#6b7280;font-weight:600;background:#f9fafb}
td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:24px}
.muted{color:#6b7280}.small{font-size:12px}
footer{margin-top:18px;color:#6b7280;font-size:12px}
@media print{body{background:#fff}section{break-inside:avoid;border:none}}
`;

export interface TearsheetOptions {
  /** When the file was made, for the header. */
  readonly generatedAtMs: number;
  /** Portfolios whose report could not be made, with the reason (`--all`). */
  readonly rows?: readonly ReportRow[];
}

/** The whole document: one section per report, and a side-by-side table first when there are several. */
export function renderTearsheet(reports: readonly PortfolioReportMessage[], o: TearsheetOptions): string {
  const rows: readonly ReportRow[] = o.rows ?? reports.map((report) => ({ portfolioId: report.portfolioId, report }));
  const title = reports.length === 1 && rows.length === 1 ? `Portfolio ${reports[0]?.portfolioId ?? ''}: report` : `Portfolio reports (${rows.length})`;
  const body = [rows.length > 1 ? comparison(rows) : '', ...reports.map(reportSection)].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header><h1>${esc(title)}</h1><p>Paper trade executor &middot; generated ${esc(timestamp(msToTs(o.generatedAtMs)))} &middot; money floored to the micro-dollar, costs rounded up (docs/reports.md)</p></header>
${body}
<footer>Equity is marked to market at every trade and periodically; buy-and-hold holds the start balances unchanged at the same prices. Costs: base and priority network fees, account rent, slippage (negative when a fill beat its expected price), price impact, MEV loss and the fees of failed trades.</footer>
</main>
</body>
</html>
`;
}

const msToTs = (ms: number): { seconds: string; nanos: number } => {
  const s = Math.floor(ms / 1000);
  return { seconds: String(s), nanos: (ms - s * 1000) * 1e6 };
};
