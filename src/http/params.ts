/**
 * Strict reading of the HTTP API's path and query parameters. Every problem is INVALID_ARGUMENT naming
 * the parameter as the caller wrote it; a parameter the route does not know is refused rather than
 * ignored, so a typo (`limt=5`) is an error instead of a silent default.
 */
import { invalidArgument } from '../domain/errors.js';
import { validatePortfolioId } from '../domain/validation.js';
import type { GetReportRequestMessage, TimestampMessage } from '../contract/index.js';

export type Query = Readonly<Record<string, unknown>>;

/** A printable rendering of what was given, bounded, for messages. */
const shown = (v: string): string => JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}...` : v);

/** The query's parameters as single strings; unknown or repeated parameters are refused. */
export function readQuery(query: unknown, allowed: readonly string[]): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (query === null || query === undefined) return out;
  for (const [k, v] of Object.entries(query as Query)) {
    if (!allowed.includes(k)) {
      const expected = allowed.length === 0 ? 'this endpoint takes none' : `expected ${allowed.join(', ')}`;
      throw invalidArgument(k.slice(0, 64), `unknown query parameter; ${expected}`);
    }
    if (typeof v !== 'string') throw invalidArgument(k, 'given more than once');
    out[k] = v;
  }
  return out;
}

/** A whole number in [min, max] written in plain digits; undefined when absent or empty. */
export function wholeParam(q: Readonly<Record<string, string>>, name: string, min: number, max: number): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,15}$/.test(v)) throw invalidArgument(name, `${shown(v)} is not a whole number`);
  const n = Number(v);
  if (n < min || n > max) throw invalidArgument(name, `must be from ${min} to ${max}, got ${n}`);
  return n;
}

/** Bounded printable text; undefined when absent. */
export function textParam(q: Readonly<Record<string, string>>, name: string, maxChars: number): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (v.length > maxChars) throw invalidArgument(name, `longer than ${maxChars} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) throw invalidArgument(name, 'must not contain control characters');
  return v;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 timestamp (2026-01-31T12:00:00Z, offsets allowed) as a Timestamp message; undefined when absent or empty. */
export function timeParam(q: Readonly<Record<string, string>>, name: string): TimestampMessage | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  const m = RFC3339.exec(v);
  const ms = m ? Date.parse(v) : NaN;
  // Date.parse rolls 2026-02-30 over to March: check the fields survive the round trip (in UTC terms).
  if (!m || !Number.isFinite(ms) || Number(m[2]) > 12 || Number(m[3]) > 31 || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) {
    throw invalidArgument(name, `${shown(v)} is not an RFC 3339 timestamp such as 2026-01-31T12:00:00Z`);
  }
  if (m[8] === 'Z' && new Date(ms).toISOString().slice(0, 10) !== v.slice(0, 10)) {
    throw invalidArgument(name, `${shown(v)} is not a calendar date`);
  }
  const seconds = Math.floor(ms / 1000);
  const fraction = m[7] === undefined ? 0 : Number((m[7].slice(1) + '000000000').slice(0, 9));
  return { seconds: String(seconds), nanos: fraction };
}

/** A portfolio id from the path ("default" for the default portfolio). */
export function portfolioParam(id: unknown): string {
  if (typeof id !== 'string' || id === '') throw invalidArgument('portfolio_id', 'missing from the path');
  return validatePortfolioId(id, 'portfolio_id');
}

/** The report query's parameters (from, to, groupBy, maxPoints) as the GetReportRequest they stand for. */
export function reportRequestFromQuery(portfolioId: string, query: unknown): GetReportRequestMessage {
  const q = readQuery(query, ['from', 'to', 'groupBy', 'maxPoints']);
  return {
    portfolioId,
    from: timeParam(q, 'from') ?? null,
    to: timeParam(q, 'to') ?? null,
    groupBy: textParam(q, 'groupBy', 128) ?? '',
    maxPoints: wholeParam(q, 'maxPoints', 0, 1_000_000) ?? 0,
  };
}

/** Names the report request's fields as the query parameters they came from. */
export const QUERY_NAME: Readonly<Record<string, string>> = { group_by: 'groupBy', max_points: 'maxPoints', from: 'from', to: 'to' };
