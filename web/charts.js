// Charts: uPlot (shipped with the package, loaded by index.html as the global `uPlot`) for the time
// series, small hand-drawn SVG for the sparklines and the cost waterfall.
import { usd } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const svgEl = (tag, attrs = {}) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

/** A small line of values (the overview's equity column). */
export function sparkline(values, { width = 120, height = 28 } = {}) {
  const svg = svgEl('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'spark', role: 'img' });
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) {
    svg.setAttribute('aria-label', 'not enough marks for a curve');
    return svg;
  }
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min || 1;
  const pts = finite.map((v, i) => `${((i / (finite.length - 1)) * (width - 2) + 1).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`);
  const up = finite[finite.length - 1] >= finite[0];
  svg.append(svgEl('polyline', { points: pts.join(' '), fill: 'none', stroke: up ? '#127a3e' : '#b42318', 'stroke-width': 1.5 }));
  svg.setAttribute('aria-label', `equity from ${usd(finite[0])} to ${usd(finite[finite.length - 1])}`);
  return svg;
}

function sized(container, opts, data) {
  const width = Math.max(300, container.clientWidth - 4);
  const plot = new uPlot({ ...opts, width, height: opts.height ?? 240 }, data, container);
  const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, container.clientWidth - 4), height: opts.height ?? 240 }));
  ro.observe(container);
  return plot;
}

const usdAxis = { values: (_u, ticks) => ticks.map((v) => usd(v)), size: 96 };

/** Portfolio value against its buy-and-hold benchmark. points: [{t (s), value, benchmark}]. */
export function equityChart(container, points) {
  const data = () => [points.map((p) => p.t), points.map((p) => p.value), points.map((p) => p.benchmark)];
  const plot = sized(
    container,
    {
      height: 260,
      series: [
        {},
        { label: 'Portfolio (USD)', stroke: '#2457c5', width: 2, value: (_u, v) => (v == null ? '—' : usd(v)) },
        { label: 'Buy and hold (USD)', stroke: '#8a94a3', width: 1.5, dash: [6, 4], value: (_u, v) => (v == null ? '—' : usd(v)) },
      ],
      axes: [{}, usdAxis],
      scales: { x: { time: true } },
    },
    data(),
  );
  return {
    set(next) {
      points = next;
      plot.setData(data());
    },
    push(p) {
      points = [...points, p];
      // A long session on a busy portfolio: halve the older history rather than grow without bound.
      if (points.length > 4000) points = points.filter((_, i) => i % 2 === 0 || i === points.length - 1);
      plot.setData(data());
    },
    get points() {
      return points;
    },
  };
}

/** Drawdown from the running peak, as a negative percentage. points: [{t (s), drawdown (0..1)}]. */
export function drawdownChart(container, points) {
  const data = () => [points.map((p) => p.t), points.map((p) => -p.drawdown * 100)];
  const plot = sized(
    container,
    {
      height: 150,
      series: [{}, { label: 'Drawdown', stroke: '#b42318', fill: 'rgba(180,35,24,0.15)', width: 1.5, value: (_u, v) => (v == null ? '—' : `${v.toFixed(2)} %`) }],
      axes: [{}, { values: (_u, ticks) => ticks.map((v) => `${v.toFixed(Math.abs(v) > 0 && Math.abs(v) < 1 ? 3 : 1)} %`), size: 80 }],
      scales: { x: { time: true } },
    },
    data(),
  );
  return {
    set(next) {
      points = next;
      plot.setData(data());
    },
  };
}

export const COST_PARTS = [
  ['baseFeesUsd', 'Base fees'],
  ['priorityFeesUsd', 'Priority fees'],
  ['rentUsd', 'Rent'],
  ['slippageUsd', 'Slippage'],
  ['priceImpactUsd', 'Price impact'],
  ['mevLossUsd', 'MEV loss'],
  ['failedTradeFeesUsd', 'Failed-trade fees'],
];

/** What realism cost, as a waterfall: each component stacked on the previous ones, then the total. */
export function waterfall(costs, { width = 460, height = 220 } = {}) {
  const steps = [];
  let run = 0;
  for (const [key, label] of COST_PARTS) {
    const v = Number(costs?.[key] ?? 0);
    steps.push({ label, from: run, to: run + v, v });
    run += v;
  }
  steps.push({ label: 'Total', from: 0, to: Number(costs?.totalUsd ?? run), v: Number(costs?.totalUsd ?? run), total: true });
  const lo = Math.min(0, ...steps.map((s) => Math.min(s.from, s.to)));
  const hi = Math.max(0, ...steps.map((s) => Math.max(s.from, s.to)));
  const span = hi - lo || 1;
  const top = 18;
  const bottom = 46;
  const plotH = height - top - bottom;
  const y = (v) => top + ((hi - v) / span) * plotH;
  const slot = (width - 10) / steps.length;
  const svg = svgEl('svg', { width: '100%', viewBox: `0 0 ${width} ${height}`, class: 'waterfall', role: 'img', 'aria-label': `cost of realism ${usd(steps[steps.length - 1].to)}` });
  svg.append(svgEl('line', { x1: 5, x2: width - 5, y1: y(0), y2: y(0), class: 'axis' }));
  steps.forEach((s, i) => {
    const x = 5 + i * slot + slot * 0.15;
    const w = slot * 0.7;
    const y1 = y(Math.max(s.from, s.to));
    const h = Math.max(1, Math.abs(y(s.from) - y(s.to)));
    const fill = s.total ? '#2457c5' : s.v < 0 ? '#127a3e' : '#d97706';
    const rect = svgEl('rect', { x, y: y1, width: w, height: h, fill });
    const title = svgEl('title');
    title.textContent = `${s.label}: ${usd(s.v)}`;
    rect.append(title);
    svg.append(rect);
    const value = svgEl('text', { x: x + w / 2, y: y1 - 4, 'text-anchor': 'middle' });
    value.textContent = Math.abs(s.v) < 0.01 ? (s.v === 0 ? '$0' : s.v < 0 ? '>-$0.01' : '<$0.01') : usd(s.v);
    svg.append(value);
    const name = svgEl('text', { x: x + w / 2, y: height - bottom + 14, 'text-anchor': 'middle' });
    const words = s.label.split(' ');
    words.forEach((word, k) => {
      const t = svgEl('tspan', { x: x + w / 2, dy: k === 0 ? 0 : 12 });
      t.textContent = word;
      name.append(t);
    });
    svg.append(name);
  });
  return svg;
}
