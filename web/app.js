// The dashboard: an overview of every portfolio and one page per portfolio, as plain ES modules over
// the JSON API. Pages are chosen by the URL's hash: #/ (overview) and #/portfolio/ID.
import * as api from './api.js';
import { COST_PARTS, drawdownChart, equityChart, sparkline, waterfall } from './charts.js';
import { amount, bps, el, int, micros, num, pct, price, signClass, sol, time, usd } from './format.js';

const view = document.getElementById('view');
const pageError = document.getElementById('page-error');
const keyForm = document.getElementById('key-form');
const keyInput = document.getElementById('api-key');
let leave = () => {};

const enc = encodeURIComponent;
const portfolioPath = (id) => `/api/v1/portfolios/${enc(id)}`;

function showError(e) {
  if (!e) {
    pageError.hidden = true;
    return;
  }
  if (e instanceof api.ApiError && (e.httpStatus === 401 || e.httpStatus === 403)) keyForm.hidden = false;
  pageError.textContent = e instanceof api.ApiError ? `${e.code}: ${e.message}` : String(e.message ?? e);
  pageError.hidden = false;
}

keyForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  api.setApiKey(keyInput.value.trim());
  keyInput.value = '';
  showError(undefined);
  void route();
});

// ------------------------------------------------------------------------------------------------
// Health strip

async function refreshHealth() {
  const strip = document.getElementById('health');
  try {
    const h = await api.get('/api/v1/health');
    const stage = (name, label) => {
      const s = h.stages?.[name];
      return s ? el('span', {}, `${label} `, el('b', {}, `p50 ${micros(s.p50Us)} · p99 ${micros(s.p99Us)}`)) : null;
    };
    strip.replaceChildren(
      el('span', {}, el('span', { class: `dot ${h.serving ? 'on' : ''}`, 'aria-hidden': 'true' }), h.serving ? 'serving' : 'not serving'),
      el('span', {}, 'price source ', el('b', {}, h.priceSource || '—')),
      el('span', {}, 'cache hit rate ', el('b', {}, h.cacheHitRate === undefined ? '—' : pct(h.cacheHitRate, false)), el('span', { class: 'muted' }, ` (${int(h.priceLookups)} lookups)`)),
      stage('total', 'trade'),
      stage('price_lookup', 'price lookup'),
      stage('journal', 'journal'),
      el('span', { id: 'live-state', class: 'muted' }, document.getElementById('live-state')?.textContent ?? ''),
    );
  } catch (e) {
    strip.replaceChildren(el('span', { class: 'muted' }, `health unavailable: ${e.message}`));
  }
}

function setLiveState(text) {
  const s = document.getElementById('live-state');
  if (s) s.textContent = text;
}

// ------------------------------------------------------------------------------------------------
// Overview

const OVERVIEW_COLUMNS = [
  ['id', 'Portfolio', false],
  ['value', 'Value', true],
  ['ret', 'Return', true],
  ['excess', 'vs buy & hold', true],
  ['dd', 'Max drawdown', true],
  ['pnl', 'PnL', true],
  ['trades', 'Trades', true],
  ['failed', 'Failed', true],
  ['fees', 'Fees paid', true],
  ['cost', 'Cost of realism', true],
];

async function overviewRow(p) {
  let report;
  try {
    report = await api.get(`${portfolioPath(p.portfolioId)}/report`, { maxPoints: 64 });
  } catch {
    report = undefined; // no marks yet: figures from the summary only
  }
  const failed = report ? num(report.trades?.failedSlippage ?? 0) + num(report.trades?.failedMev ?? 0) : NaN;
  return {
    id: p.portfolioId,
    value: num(p.totalValueUsd),
    ret: report?.totalReturn,
    excess: report?.excessReturn,
    dd: report?.drawdown?.max,
    pnl: num(p.realizedPnlUsd) + num(p.unrealizedPnlUsd),
    trades: num(p.tradeCount ?? 0),
    failed,
    fees: num(p.feesPaidLamports ?? 0),
    cost: num(report?.costs?.totalUsd),
    spark: (report?.equity ?? []).map((e) => num(e.valueUsd)),
  };
}

async function overviewPage() {
  document.title = 'Portfolios · Paper trade executor';
  const sort = { key: 'id', dir: 1 };
  let rows = [];
  const tbody = el('tbody');
  const headRow = el('tr');
  const table = el('table', { id: 'overview-table' }, el('caption', { class: 'muted', style: 'text-align:left;caption-side:bottom;padding-top:.4rem' }, 'Click a column header to sort. Figures refresh every 5 s.'), el('thead', {}, headRow), tbody);
  const cmp = (a, b) => {
    const x = a[sort.key];
    const y = b[sort.key];
    if (typeof x === 'string') return x.localeCompare(y) * sort.dir;
    const fx = Number.isFinite(x) ? x : -Infinity;
    const fy = Number.isFinite(y) ? y : -Infinity;
    return (fx - fy) * sort.dir || a.id.localeCompare(b.id);
  };
  const renderHead = () => {
    headRow.replaceChildren(
      ...OVERVIEW_COLUMNS.map(([key, label, numeric]) =>
        el(
          'th',
          { scope: 'col', class: numeric ? 'num' : '', 'aria-sort': sort.key === key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none' },
          el('button', { class: 'sort', type: 'button', 'data-sort': key, onclick: () => {
            sort.dir = sort.key === key ? -sort.dir : numeric ? -1 : 1;
            sort.key = key;
            renderHead();
            renderBody();
          } }, label),
        ),
      ),
      el('th', { scope: 'col' }, 'Equity'),
    );
  };
  const renderBody = () => {
    if (rows.length === 0) {
      tbody.replaceChildren(el('tr', {}, el('td', { colspan: OVERVIEW_COLUMNS.length + 1, class: 'muted' }, 'No portfolio yet: a portfolio appears with its first trade or reset.')));
      return;
    }
    tbody.replaceChildren(
      ...[...rows].sort(cmp).map((r) =>
        el(
          'tr',
          { 'data-portfolio': r.id },
          el('th', { scope: 'row' }, el('a', { href: `#/portfolio/${enc(r.id)}` }, r.id)),
          el('td', { class: 'num' }, usd(r.value)),
          el('td', { class: `num ${signClass(r.ret)}` }, pct(r.ret)),
          el('td', { class: `num ${signClass(r.excess)}` }, pct(r.excess)),
          el('td', { class: `num ${r.dd > 0 ? 'down' : ''}` }, r.dd === undefined ? '—' : pct(-r.dd)),
          el('td', { class: `num ${signClass(r.pnl)}` }, usd(r.pnl)),
          el('td', { class: 'num' }, int(r.trades)),
          el('td', { class: `num ${r.failed > 0 ? 'down' : ''}` }, int(r.failed)),
          el('td', { class: 'num' }, sol(r.fees)),
          el('td', { class: 'num' }, usd(r.cost)),
          el('td', {}, sparkline(r.spark)),
        ),
      ),
    );
  };
  const load = async () => {
    const { portfolios = [] } = await api.get('/api/v1/portfolios');
    rows = await Promise.all(portfolios.map(overviewRow));
    renderBody();
  };
  renderHead();
  view.replaceChildren(el('h1', {}, 'Portfolios'), el('div', { class: 'card scroll' }, table));
  await load();
  const timer = setInterval(() => load().catch(showError), 5000);
  leave = () => clearInterval(timer);
}

// ------------------------------------------------------------------------------------------------
// One portfolio

const TRADE_COLUMNS = [
  ['Time', false], ['Status', false], ['Action', false], ['Pair', false], ['Input', true], ['Output', true],
  ['Expected price', true], ['Executed price', true], ['Slippage bps', true], ['Impact bps', true], ['MEV bps', true],
  ['Base fee', true], ['Priority fee', true], ['Rent', true], ['Route', false], ['Seed', true], ['Tag', false],
];

function tradeRow(t, fresh = false) {
  const failed = t.status !== 'TRADE_STATUS_FILLED';
  const status = (t.status ?? '').replace('TRADE_STATUS_', '');
  const tag = t.metadata && typeof t.metadata === 'object' ? t.metadata.strategy : undefined;
  const fees = t.fees ?? {};
  return el(
    'tr',
    { class: `${failed ? 'failed' : ''} ${fresh ? 'fresh' : ''}`, 'data-trade-id': t.tradeId, title: failed ? t.failureReason : undefined },
    el('td', { title: t.executedAt }, time(t.executedAt).slice(5)),
    el('td', { class: 'status' }, failed ? `✕ ${status}` : status),
    el('td', {}, (t.action ?? '').replace('TRADE_ACTION_', '')),
    el('td', {}, `${t.base?.symbol}/${t.quote?.symbol}`),
    el('td', { class: 'num', title: t.inputAmount }, `${amount(t.inputAmount)} ${t.input?.symbol ?? ''}`),
    el('td', { class: 'num', title: t.outputAmount }, `${amount(t.outputAmount)} ${t.output?.symbol ?? ''}`),
    el('td', { class: 'num', title: t.expectedPrice }, price(t.expectedPrice)),
    el('td', { class: 'num', title: t.executedPrice }, price(t.executedPrice)),
    el('td', { class: 'num' }, bps(t.slippageBps)),
    el('td', { class: 'num' }, bps(t.priceImpactBps)),
    el('td', { class: 'num' }, bps(t.mevImpactBps)),
    el('td', { class: 'num' }, int(fees.baseFeeLamports)),
    el('td', { class: 'num' }, int(fees.priorityFeeLamports)),
    el('td', { class: 'num' }, int(fees.rentLamports)),
    el('td', { class: 'small' }, (t.route ?? []).map((h) => h.label).join(' → ') || t.priceSource || '—'),
    el('td', { class: 'num small' }, t.seed),
    el('td', {}, tag === undefined ? '' : el('span', { class: 'tag' }, typeof tag === 'string' ? tag : JSON.stringify(tag))),
  );
}

function kpi(label, value, attrs = {}) {
  return el('div', { class: 'kpi' }, el('dt', {}, label), el('dd', attrs, value));
}

const TICKET_FIELDS = `
  <label>Action<select name="action" data-field="action"><option>BUY</option><option>SELL</option><option>SWAP</option></select></label>
  <label>Base token<input name="baseToken" data-field="base_token" value="SOL" required></label>
  <label>Quote token<input name="quoteToken" data-field="quote_token" value="USDC" required></label>
  <label>Amount<input name="amount" data-field="amount" inputmode="decimal" placeholder="e.g. 0.5" required></label>
  <label class="check"><input type="checkbox" name="isBaseInput" data-field="is_base_input" checked>amount in base token</label>
  <label>Slippage tolerance (bps)<input name="slippageToleranceBps" data-field="slippage_tolerance_bps" inputmode="numeric" placeholder="server default"></label>
  <label>Max price impact (bps)<input name="maxPriceImpactBps" data-field="max_price_impact_bps" inputmode="numeric" placeholder="none"></label>
  <label>Priority fee (lamports)<input name="priorityFee" data-field="priority_fee" inputmode="numeric" value="0"></label>
  <label>MEV protection<select name="mevProtection" data-field="mev_protection"><option value="">public (default)</option><option>JITO_BUNDLE</option><option>JITO_DONTFRONT</option><option>PRIVATE</option></select></label>
  <label class="check"><input type="checkbox" name="simulateMev" data-field="simulate_mev">simulate MEV</label>
  <label>Pricing<select name="executionPricing" data-field="execution_pricing"><option value="">server default</option><option>IMMEDIATE</option><option>LANDING</option></select></label>
  <label>Slippage model<select name="model" data-field="slippage_model.name"><option value="">server default</option><option>fixed</option><option>quote</option><option>cpmm</option><option>sqrt</option><option>random</option><option>empirical</option></select></label>
  <label class="wide">Model params (JSON)<input name="modelParams" data-field="slippage_model.params" placeholder='e.g. {"bps": 75}'></label>
  <label class="wide">Metadata (JSON)<input name="metadata" data-field="metadata" value='{"strategy": "manual"}'></label>
  <div class="actions"><button class="primary" type="submit">Place trade</button><span id="ticket-busy" class="muted"></span></div>`;

/** A field error found before sending, worded like the server's: "field: problem". */
class TicketError extends Error {
  constructor(field, problem) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
}

function ticketRequest(form, portfolioId) {
  const f = new FormData(form);
  const text = (name) => String(f.get(name) ?? '').trim();
  const whole = (name, field) => {
    const v = text(name);
    if (v === '') return undefined;
    if (!/^\d+$/.test(v)) throw new TicketError(field, `${JSON.stringify(v)} is not a whole number`);
    return Number(v);
  };
  const object = (name, field) => {
    const v = text(name);
    if (v === '') return undefined;
    let parsed;
    try {
      parsed = JSON.parse(v);
    } catch (e) {
      throw new TicketError(field, `not valid JSON (${e.message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TicketError(field, 'must be a JSON object');
    return parsed;
  };
  const req = {
    requestId: crypto.randomUUID(),
    portfolioId,
    action: `TRADE_ACTION_${text('action')}`,
    baseToken: text('baseToken'),
    quoteToken: text('quoteToken'),
    amount: text('amount'),
    isBaseInput: f.get('isBaseInput') === 'on',
    simulateMev: f.get('simulateMev') === 'on',
  };
  const tolerance = whole('slippageToleranceBps', 'slippage_tolerance_bps');
  if (tolerance !== undefined) req.slippageToleranceBps = tolerance;
  const impact = whole('maxPriceImpactBps', 'max_price_impact_bps');
  if (impact !== undefined) req.maxPriceImpactBps = impact;
  const fee = text('priorityFee');
  if (fee !== '') {
    if (!/^\d+$/.test(fee)) throw new TicketError('priority_fee', `${JSON.stringify(fee)} is not a whole number of lamports`);
    req.priorityFee = fee;
  }
  if (text('mevProtection') !== '') req.mevProtection = `MEV_PROTECTION_${text('mevProtection')}`;
  if (text('executionPricing') !== '') req.executionPricing = `EXECUTION_PRICING_${text('executionPricing')}`;
  const params = object('modelParams', 'slippage_model.params');
  if (text('model') !== '' || params !== undefined) req.slippageModel = { name: text('model'), params: params ?? {} };
  const metadata = object('metadata', 'metadata');
  if (metadata !== undefined) req.metadata = metadata;
  return req;
}

async function portfolioPage(id) {
  document.title = `${id} · Paper trade executor`;
  let stopped = false;
  let pageSize = 50;
  let tokens = ['']; // page tokens of the pages visited: tokens[i] opens page i
  let page = 0;
  let nextToken = '';
  let equity;
  let drawdown;
  let benchmarkLast = NaN;
  let peak = -Infinity;

  const kpis = el('dl', { class: 'kpis', id: 'kpis' });
  const equityBox = el('div', { class: 'chart', id: 'equity-chart' });
  const drawdownBox = el('div', { class: 'chart', id: 'drawdown-chart' });
  const chartNote = el('p', { class: 'muted small' });
  const balances = el('div', { class: 'scroll' });
  const costs = el('div');
  const groups = el('div', { class: 'scroll' });
  const tradesBody = el('tbody');
  const pageLabel = el('span', { class: 'muted', id: 'trades-page' });
  const prev = el('button', { type: 'button', onclick: () => void loadTrades(page - 1) }, '← Newer');
  const next = el('button', { type: 'button', onclick: () => void loadTrades(page + 1) }, 'Older →');
  const sizeSelect = el('select', { 'aria-label': 'trades per page', onchange: () => { pageSize = Number(sizeSelect.value); tokens = ['']; void loadTrades(0); } },
    ...[25, 50, 100, 250].map((n) => el('option', { value: n, selected: n === pageSize }, `${n} per page`)));
  const ticket = el('form', { id: 'ticket', class: 'ticket', novalidate: true, 'aria-describedby': 'ticket-error' });
  ticket.innerHTML = TICKET_FIELDS;
  const ticketError = el('p', { id: 'ticket-error', class: 'error', role: 'alert', hidden: true });
  const ticketResult = el('div', { id: 'ticket-result', class: 'result', 'aria-live': 'polite' });
  const dialog = el('dialog', { id: 'reset-dialog' },
    el('h2', {}, `Reset ${id}?`),
    el('p', {}, 'Its balances go back to the configured starting balances. Trades already booked stay in the journal.'),
    el('form', { method: 'dialog', class: 'pager' },
      el('button', { value: 'cancel', type: 'submit' }, 'Cancel'),
      el('button', { value: 'reset', class: 'danger', type: 'submit', id: 'reset-confirm' }, 'Reset portfolio')));

  view.replaceChildren(
    el('div', { class: 'pager', style: 'justify-content:space-between' },
      el('h1', {}, 'Portfolio ', el('span', { id: 'portfolio-id' }, id)),
      el('button', { type: 'button', class: 'danger', id: 'reset-button', onclick: () => dialog.showModal() }, 'Reset…')),
    kpis,
    el('div', { class: 'grid-2' },
      el('section', { class: 'card', 'aria-labelledby': 'h-equity' },
        el('h2', { id: 'h-equity' }, 'Equity vs buy and hold'), equityBox,
        el('h2', { style: 'margin-top:.8rem' }, 'Drawdown'), drawdownBox, chartNote),
      el('section', { class: 'card', 'aria-labelledby': 'h-ticket' }, el('h2', { id: 'h-ticket' }, 'Trade ticket'), ticket, ticketError, ticketResult)),
    el('div', { class: 'grid' },
      el('section', { class: 'card', 'aria-labelledby': 'h-bal' }, el('h2', { id: 'h-bal' }, 'Balances'), balances),
      el('section', { class: 'card', 'aria-labelledby': 'h-cost' }, el('h2', { id: 'h-cost' }, 'What realism cost'), costs)),
    el('section', { class: 'card', 'aria-labelledby': 'h-tags' }, el('h2', { id: 'h-tags' }, 'Results per tag'), groups),
    el('section', { class: 'card', 'aria-labelledby': 'h-trades' },
      el('div', { class: 'pager', style: 'justify-content:space-between;margin:0 0 .5rem' }, el('h2', { id: 'h-trades', style: 'margin:0' }, 'Trades'), sizeSelect),
      el('div', { class: 'scroll' },
        el('table', { id: 'trades-table', class: 'dense' },
          el('thead', {}, el('tr', {}, ...TRADE_COLUMNS.map(([label, numeric]) => el('th', { scope: 'col', class: numeric ? 'num' : '' }, label)))),
          tradesBody)),
      el('div', { class: 'pager' }, prev, next, pageLabel)),
    dialog,
  );

  const renderSummary = (p, r) => {
    const counts = r?.trades;
    const failed = counts ? num(counts.failedSlippage) + num(counts.failedMev) : NaN;
    kpis.replaceChildren(
      kpi('Value', usd(p.totalValueUsd), { id: 'equity-value', 'data-value': p.totalValueUsd }),
      kpi('Return', pct(r?.totalReturn), { class: signClass(r?.totalReturn) }),
      kpi('vs buy & hold', pct(r?.excessReturn), { class: signClass(r?.excessReturn) }),
      kpi('Realized PnL', usd(p.realizedPnlUsd), { class: signClass(num(p.realizedPnlUsd)) }),
      kpi('Unrealized PnL', usd(p.unrealizedPnlUsd), { class: signClass(num(p.unrealizedPnlUsd)) }),
      kpi('Max drawdown', r ? pct(-(r.drawdown?.max ?? 0)) : '—', { class: r?.drawdown?.max > 0 ? 'down' : '' }),
      kpi('Trades', int(p.tradeCount ?? 0), { id: 'trade-count' }),
      kpi('Failed', int(failed), { class: failed > 0 ? 'down' : '' }),
      kpi('Fees paid', sol(p.feesPaidLamports ?? 0)),
      kpi('Sharpe', r?.sharpe === undefined ? '—' : r.sharpe.toFixed(2)),
    );
    balances.replaceChildren(el('table', {},
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Token'), el('th', { scope: 'col', class: 'num' }, 'Amount'), el('th', { scope: 'col', class: 'num' }, 'Value'), el('th', { scope: 'col', class: 'num' }, 'Avg cost'))),
      el('tbody', {}, ...(p.balances ?? []).map((b) => el('tr', {},
        el('th', { scope: 'row' }, b.token?.symbol ?? '?'),
        el('td', { class: 'num', title: b.amount }, amount(b.amount)),
        el('td', { class: 'num' }, usd(b.usdValue)),
        el('td', { class: 'num' }, usd(b.avgCostUsd)))))));
    if (!r) {
      costs.replaceChildren(el('p', { class: 'muted' }, 'No report yet.'));
      groups.replaceChildren();
      return;
    }
    costs.replaceChildren(
      el('div', { class: 'costs' }, waterfall(r.costs),
      el('table', { class: 'small' }, el('tbody', {},
        ...COST_PARTS.map(([k, label]) => el('tr', {}, el('th', { scope: 'row' }, label), el('td', { class: 'num' }, usd(r.costs?.[k])))),
        el('tr', {}, el('th', { scope: 'row' }, 'Total'), el('td', { class: 'num' }, el('b', {}, usd(r.costs?.totalUsd))))))));
    groups.replaceChildren(el('table', {},
      el('caption', { class: 'muted small', style: 'text-align:left' }, `grouped by metadata key "${r.groupBy}"`),
      el('thead', {}, el('tr', {}, ...['Tag', 'Trades', 'Failed', 'Volume', 'Realized PnL', 'Win rate', 'Costs'].map((h, i) => el('th', { scope: 'col', class: i > 0 ? 'num' : '' }, h)))),
      el('tbody', {}, ...(r.groups ?? []).map((g) => el('tr', {},
        el('th', { scope: 'row' }, g.untagged ? el('span', { class: 'muted' }, '(untagged)') : el('span', { class: 'tag' }, g.value)),
        el('td', { class: 'num' }, int(g.trades?.total)),
        el('td', { class: 'num' }, int(num(g.trades?.failedSlippage) + num(g.trades?.failedMev))),
        el('td', { class: 'num' }, usd(g.volumeUsd)),
        el('td', { class: `num ${signClass(num(g.realizedPnlUsd))}` }, usd(g.realizedPnlUsd)),
        el('td', { class: 'num' }, g.closes?.winRate === undefined ? '—' : pct(g.closes.winRate, false)),
        el('td', { class: 'num' }, usd(g.costs?.totalUsd)))))));
  };

  const renderCharts = (r) => {
    const pts = (r?.equity ?? []).map((e) => ({ t: Date.parse(e.at) / 1000, value: num(e.valueUsd), benchmark: num(e.benchmarkUsd), drawdown: e.drawdown ?? 0 }));
    benchmarkLast = pts.length > 0 ? pts[pts.length - 1].benchmark : NaN;
    peak = Math.max(-Infinity, ...pts.map((p) => p.value));
    chartNote.textContent = r ? `${int(r.markCount)} marks from ${time(r.from)} to ${time(r.to)}; ${pts.length} points shown.` : 'No marks yet: the curve starts with the first trade or reset.';
    if (!equity) {
      equity = equityChart(equityBox, pts);
      drawdown = drawdownChart(drawdownBox, pts);
    } else {
      equity.set(pts);
      drawdown.set(pts);
    }
  };

  const loadAll = async () => {
    const [p, r] = await Promise.all([
      api.get(portfolioPath(id)),
      api.get(`${portfolioPath(id)}/report`).catch((e) => {
        if (e instanceof api.ApiError && (e.code === 'REPORT_UNAVAILABLE' || e.httpStatus === 404)) return undefined;
        throw e;
      }),
    ]);
    if (stopped) return;
    renderSummary(p, r);
    renderCharts(r);
  };

  async function loadTrades(to) {
    const token = tokens[to];
    if (token === undefined) return;
    const res = await api.get(`${portfolioPath(id)}/trades`, { limit: pageSize, pageToken: token });
    if (stopped) return;
    page = to;
    nextToken = res.nextPageToken ?? '';
    if (nextToken !== '') tokens[page + 1] = nextToken;
    const trades = res.trades ?? [];
    tradesBody.replaceChildren(...(trades.length === 0 ? [el('tr', {}, el('td', { colspan: TRADE_COLUMNS.length, class: 'muted' }, 'No trades yet.'))] : trades.map((t) => tradeRow(t))));
    prev.disabled = page === 0;
    next.disabled = nextToken === '';
    pageLabel.textContent = `page ${page + 1}`;
  }

  // A refresh of the figures that live events do not carry (balances, costs, tags): at most one per 2 s.
  let refreshTimer;
  const refreshSoon = () => {
    if (refreshTimer !== undefined) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      loadAll().catch(showError);
    }, 2000);
  };

  // A busy portfolio sends more trades than a batch holds: the newest come, the rest are counted. The
  // table then reloads its page, at most once per 2 s.
  let reloadTimer;
  const reloadTradesSoon = () => {
    if (reloadTimer !== undefined) return;
    reloadTimer = setTimeout(() => {
      reloadTimer = undefined;
      if (page === 0) loadTrades(0).catch(showError);
    }, 2000);
  };

  const onEvent = (ev) => {
    if (ev.reconnected) {
      void loadAll().catch(showError);
      if (page === 0) void loadTrades(0).catch(showError);
      return;
    }
    if (ev.droppedTrades > 0 && (ev.trades ?? []).length < pageSize) reloadTradesSoon();
    for (const m of ev.marks ?? []) {
      const value = num(m.valueUsd);
      peak = Math.max(peak, value);
      const point = { t: Date.parse(m.at) / 1000, value, benchmark: benchmarkLast, drawdown: peak > 0 ? (peak - value) / peak : 0 };
      equity?.push(point);
      drawdown?.set(equity?.points ?? []);
      const v = document.getElementById('equity-value');
      if (v) {
        v.textContent = usd(m.valueUsd);
        v.dataset.value = m.valueUsd;
      }
    }
    const trades = ev.trades ?? [];
    if (trades.length > 0) {
      if (page === 0) {
        const rows = [...trades].reverse().map((t) => tradeRow(t, true));
        if (tradesBody.querySelector('td[colspan]')) tradesBody.replaceChildren();
        tradesBody.prepend(...rows);
        while (tradesBody.rows.length > pageSize) tradesBody.lastElementChild.remove();
      }
      const count = document.getElementById('trade-count');
      if (count) count.textContent = int(num(count.textContent.replace(/,/g, '')) + trades.length + (ev.droppedTrades ?? 0));
      refreshSoon();
    } else if ((ev.marks ?? []).length > 0) refreshSoon();
  };

  ticket.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const i of ticket.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
    ticketError.hidden = true;
    ticketResult.replaceChildren();
    const busy = document.getElementById('ticket-busy');
    const submit = ticket.querySelector('button[type=submit]');
    const fail = (field, message) => {
      ticketError.textContent = message;
      ticketError.hidden = false;
      const input = field ? ticket.querySelector(`[data-field="${CSS.escape(field)}"]`) : null;
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      }
    };
    let req;
    try {
      req = ticketRequest(ticket, id);
    } catch (e) {
      fail(e.field, e.message);
      return;
    }
    submit.disabled = true;
    busy.textContent = 'sending…';
    try {
      const res = await api.post('/api/v1/trades', req);
      const t = res.trade;
      const failed = t.status !== 'TRADE_STATUS_FILLED';
      ticketResult.replaceChildren(
        el('p', { class: failed ? 'down' : 'up' },
          `${t.status.replace('TRADE_STATUS_', '')}: ${t.action.replace('TRADE_ACTION_', '')} ${amount(t.inputAmount)} ${t.input.symbol} → ${amount(t.outputAmount)} ${t.output.symbol} at ${price(t.executedPrice)} (slippage ${bps(t.slippageBps)} bps, ${micros(num(res.executionMetrics?.totalUs))})`),
        failed && t.failureReason ? el('p', { class: 'small' }, t.failureReason) : null,
        ...(res.warnings ?? []).map((w) => el('p', { class: 'small muted' }, `warning: ${w}`)),
      );
    } catch (e) {
      fail(e.field, e instanceof api.ApiError ? `${e.code}: ${e.message}` : String(e.message ?? e));
    } finally {
      submit.disabled = false;
      busy.textContent = '';
    }
  });

  dialog.addEventListener('close', async () => {
    if (dialog.returnValue !== 'reset') return;
    try {
      await api.post(`${portfolioPath(id)}/reset`, {});
      tokens = [''];
      await Promise.all([loadAll(), loadTrades(0)]);
    } catch (e) {
      showError(e);
    }
  });

  await Promise.all([loadAll(), loadTrades(0)]);
  setLiveState('live: connecting');
  const stop = api.follow(`${portfolioPath(id)}/events`, onEvent, (s) => {
    if (s === 'open') setLiveState('live ●');
    else if (s === 'closed') setLiveState('live: reconnecting');
    else {
      setLiveState('live: off');
      showError(s);
    }
  });
  leave = () => {
    stopped = true;
    stop();
    clearTimeout(refreshTimer);
    clearTimeout(reloadTimer);
    setLiveState('');
  };
}

// ------------------------------------------------------------------------------------------------

async function route() {
  leave();
  leave = () => {};
  showError(undefined);
  const m = /^#\/portfolio\/(.+)$/.exec(location.hash);
  try {
    if (m) await portfolioPage(decodeURIComponent(m[1]));
    else await overviewPage();
  } catch (e) {
    showError(e);
  }
  view.focus({ preventScroll: true });
}

async function start() {
  try {
    const cfg = await api.get('/api/v1/config');
    if (cfg.keysRequired) keyForm.hidden = false;
  } catch (e) {
    showError(e);
  }
  window.addEventListener('hashchange', () => void route());
  await refreshHealth();
  setInterval(() => void refreshHealth(), 5000);
  await route();
}

void start();
