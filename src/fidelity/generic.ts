import { createHash } from 'node:crypto';
import { isMint, mint, type Mint, type Token, type TokenRegistry } from '../domain/tokens.js';
import { rowOf, RowError, type Row } from './columns.js';
import type { CsvTable } from './csv.js';
import type { LoadedTrades, ObservedTrade, PoolState, SkippedRow } from './trades.js';

/**
 * The generic trade-log format, for users' own fills (docs/fidelity.md lists it with an example).
 * One row per landed swap; amounts in base units (whole numbers):
 *   pair          BASE/QUOTE, symbols or mints (e.g. BONK/SOL)
 *   side          buy (pay QUOTE, receive BASE) or sell (pay BASE, receive QUOTE)
 *   amount_in     what was paid, fees included
 *   amount_out    what was received (the realized fill)
 *   slot | time   the landing slot, or the time (unix seconds or ISO 8601; slot = time / 400 ms)
 * and the pool, either
 *   base_reserve_after, quote_reserve_after   reserves after this trade (or *_before: before it),
 *   fee_bps                                     the pool's fee on the input, kept in the pool (default 0)
 * or
 *   quoted_out    the output a quote promised before the trade was sent
 * optional: min_out, slippage_bps, priority_fee (lamports), id, tx (transaction: legs of one are priced
 * in file order), base_decimals, quote_decimals.
 */
export const GENERIC_REQUIRED = ['pair', 'side', 'amount_in', 'amount_out'] as const;

export const isGenericHeader = (index: ReadonlyMap<string, number>): boolean => GENERIC_REQUIRED.every((c) => index.has(c));

/** Slot length used to place a time-only row on the slot axis. */
export const SLOT_MS = 400;

export function loadGeneric(table: CsvTable, index: ReadonlyMap<string, number>, tokens: TokenRegistry): LoadedTrades {
  if (!index.has('slot') && !index.has('time')) throw new RowError('generic trade file without a slot or time column');
  const hasReserves =
    (index.has('base_reserve_after') && index.has('quote_reserve_after')) || (index.has('base_reserve_before') && index.has('quote_reserve_before'));
  if (!hasReserves && !index.has('quoted_out')) {
    throw new RowError('generic trade file without pool information: give base_reserve_after and quote_reserve_after (or _before), or quoted_out');
  }
  const trades: ObservedTrade[] = [];
  const skipped: SkippedRow[] = [];
  for (const record of table.records) {
    try {
      trades.push(genericTrade(rowOf(record, index, table.header.length), tokens));
    } catch (e) {
      if (!(e instanceof RowError || e instanceof RangeError)) throw e;
      skipped.push({ line: record.line, reason: e.message });
    }
  }
  return { format: 'generic', trades, skipped, rows: table.records.length };
}

function genericTrade(row: Row, registry: TokenRegistry): ObservedTrade {
  const pairText = row.text('pair');
  const parts = pairText.split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new RowError(`pair: ${JSON.stringify(pairText.slice(0, 60))} is not BASE/QUOTE`);
  const base = tokenOf(parts[0] ?? '', row, 'base_decimals', 6, registry);
  const quote = tokenOf(parts[1] ?? '', row, 'quote_decimals', 9, registry);
  if (base.mint === quote.mint) throw new RowError(`pair: base and quote are the same token`);
  const sideText = row.text('side').toLowerCase();
  if (sideText !== 'buy' && sideText !== 'sell') throw new RowError(`side: ${JSON.stringify(sideText.slice(0, 20))} is not buy or sell`);
  const side = sideText;
  const amountIn = row.uint('amount_in');
  const realizedOut = row.uint('amount_out');
  if (amountIn === 0n) throw new RowError('amount_in: must be > 0');
  if (realizedOut === 0n) throw new RowError('amount_out: must be > 0 (a landed swap receives something)');
  const { slot, timeMs } = slotOf(row);
  const feeBps = row.optionalUint('fee_bps') ?? 0n;
  if (feeBps >= 10_000n) throw new RowError('fee_bps: must be below 10000');

  let pre: PoolState | undefined;
  let post: PoolState | undefined;
  const dBase = side === 'buy' ? -realizedOut : amountIn;
  const dQuote = side === 'buy' ? amountIn : -realizedOut;
  if (row.has('base_reserve_after') || row.has('quote_reserve_after')) {
    post = { base: row.uint('base_reserve_after'), quote: row.uint('quote_reserve_after') };
    pre = { base: post.base - dBase, quote: post.quote - dQuote };
  } else if (row.has('base_reserve_before') || row.has('quote_reserve_before')) {
    pre = { base: row.uint('base_reserve_before'), quote: row.uint('quote_reserve_before') };
    post = { base: pre.base + dBase, quote: pre.quote + dQuote };
  }
  if (pre && post && (pre.base <= 0n || pre.quote <= 0n || post.base <= 0n || post.quote <= 0n)) {
    throw new RowError('reserves are not positive before and after the trade: are they the pool of this pair, in base units?');
  }
  const quotedOut = row.optionalUint('quoted_out');
  if (!pre && quotedOut === undefined) throw new RowError('no pool information: reserves or quoted_out must be given');
  if (quotedOut === 0n) throw new RowError('quoted_out: must be > 0');
  const slippageBps = row.optionalUint('slippage_bps');
  if (slippageBps !== undefined && slippageBps > 10_000n) throw new RowError('slippage_bps: must be at most 10000');
  const id = row.text('id');
  return {
    line: row.line,
    id: `${id === '' ? 'row' : id}:${row.line}`,
    tx: row.has('tx') && row.text('tx') !== '' ? row.text('tx') : undefined,
    pool: `${base.mint}/${quote.mint}`,
    base,
    quote,
    side,
    slot,
    timeMs,
    amountIn,
    realizedOut,
    rule: { kind: 'cpmm', feeBps },
    pre,
    post,
    quotedOut,
    minOut: row.optionalUint('min_out'),
    slippageBps: slippageBps === undefined ? undefined : Number(slippageBps),
    priorityFeeLamports: row.optionalUint('priority_fee') ?? 0n,
  };
}

function slotOf(row: Row): { slot: number; timeMs: number | undefined } {
  let timeMs: number | undefined;
  if (row.has('time')) {
    const t = row.text('time');
    if (/^\d+(\.\d+)?$/.test(t)) timeMs = Math.round(Number(t) * 1000);
    else if (/^\d{4}-\d{2}-\d{2}T/.test(t) && Number.isFinite(Date.parse(t))) timeMs = Date.parse(t);
    else throw new RowError(`time: ${JSON.stringify(t.slice(0, 40))} is neither unix seconds nor an ISO 8601 time`);
  }
  if (row.has('slot')) {
    const slot = row.uint('slot');
    if (slot > BigInt(Number.MAX_SAFE_INTEGER)) throw new RowError('slot: too large');
    return { slot: Number(slot), timeMs };
  }
  if (timeMs === undefined) throw new RowError('neither slot nor time is given');
  return { slot: Math.floor(timeMs / SLOT_MS), timeMs };
}

/** A registry token by symbol or mint; otherwise a meme-class token on the given mint or a placeholder. */
function tokenOf(text: string, row: Row, decimalsColumn: string, fallbackDecimals: number, registry: TokenRegistry): Token {
  const known = registry.find(text);
  const decimalsText = row.text(decimalsColumn);
  if (decimalsText !== '' && !/^\d{1,2}$/.test(decimalsText)) throw new RowError(`${decimalsColumn}: ${JSON.stringify(decimalsText)} is not 0-99`);
  if (known) return decimalsText === '' ? known : { ...known, decimals: Number(decimalsText) };
  const decimals = decimalsText === '' ? fallbackDecimals : Number(decimalsText);
  return { symbol: text.slice(0, 12), mint: isMint(text) ? mint(text) : placeholderMint(text), decimals, class: 'meme' };
}

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A deterministic base58 stand-in for a token named only by symbol (the maths never reads it). */
function placeholderMint(symbol: string): Mint {
  let n = BigInt(`0x${createHash('sha256').update(`fidelity:${symbol}`).digest('hex')}`);
  let s = '';
  while (n > 0n) {
    s = ALPHABET.charAt(Number(n % 58n)) + s;
    n /= 58n;
  }
  return mint(s.padStart(32, '1').slice(0, 44));
}
