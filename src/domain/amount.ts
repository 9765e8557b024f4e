import type { Brand } from './brand.js';
import { invalidArgument } from './errors.js';
import { formatScaled, pow10 } from './ratio.js';

/** A token amount in base units (lamports for SOL, 10^-6 USDC for USDC...). Never negative on a balance. */
export type Amount = Brand<bigint, 'Amount'>;
export const amount = (v: bigint): Amount => v as Amount;

/** Lamports: the unit of every network cost. */
export type Lamports = Brand<bigint, 'Lamports'>;
export const lamports = (v: bigint): Lamports => v as Lamports;

/** The longest amount string accepted: bounds the work a hostile request can cause. */
const MAX_AMOUNT_CHARS = 64;
const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parses a request amount into base units. Accepts only a plain positive decimal ("1", "0.5",
 * "1.50"); rejects exponents, hex, NaN, Infinity, underscores, signs, spaces, a bare "." or a
 * leading/trailing dot, and more fraction digits than the token has. The error names `field`.
 */
export function parseAmount(text: string, decimals: number, field: string): Amount {
  if (text.length === 0) throw invalidArgument(field, 'must not be empty');
  if (text.length > MAX_AMOUNT_CHARS) throw invalidArgument(field, `longer than ${MAX_AMOUNT_CHARS} characters`);
  const m = PLAIN_DECIMAL.exec(text);
  if (!m) {
    throw invalidArgument(field, `${JSON.stringify(text)} is not a plain positive decimal (digits, one optional point)`);
  }
  const frac = m[2] ?? '';
  if (frac.length > decimals) {
    throw invalidArgument(field, `${JSON.stringify(text)} has ${frac.length} decimals; the token has ${decimals}`);
  }
  const units = BigInt((m[1] ?? '0') + frac.padEnd(decimals, '0'));
  if (units === 0n) throw invalidArgument(field, 'must be greater than zero');
  return amount(units);
}

/** Parses a non-negative balance (zero allowed), e.g. a starting balance in config or a reset. */
export function parseBalance(text: string, decimals: number, field: string): Amount {
  if (text === '0' || /^0(\.0+)?$/.test(text)) return amount(0n);
  return parseAmount(text, decimals, field);
}

/** Base units to a decimal string in token units: 1500000n, 6 -> "1.5". */
export const formatAmount = (units: bigint, decimals: number): string => formatScaled(units, decimals);

/** Base units per whole token. */
export const unitsPerToken = (decimals: number): bigint => pow10(decimals);
