import { invalidArgument } from '../errors.js';
import type { JsonValue } from '../request.js';

/**
 * Reads a numeric parameter, checking it is a finite JSON number within [min, max]; the error names
 * the field. A number sent as a string ("75") is refused like any other wrong type: the contract's
 * params are a Struct, whose numbers are numbers.
 */
export function numberParam(
  params: Readonly<Record<string, JsonValue>>,
  key: string,
  field: string,
  range: { readonly min: number; readonly max: number; readonly default: number; readonly integer?: boolean },
): number {
  const v = params[key];
  if (v === undefined || v === null) return range.default;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw invalidArgument(`${field}.params.${key}`, `must be a number${typeof v === 'string' ? ', got a string' : ''}`);
  }
  const n = v;
  if (range.integer === true && !Number.isInteger(n)) throw invalidArgument(`${field}.params.${key}`, 'must be a whole number');
  if (n < range.min || n > range.max) {
    throw invalidArgument(`${field}.params.${key}`, `must be between ${range.min} and ${range.max}`);
  }
  return n;
}

/** Refuses parameters a model does not know, so a typo never silently falls back to a default. */
export function rejectUnknownParams(params: Readonly<Record<string, JsonValue>>, known: readonly string[], field: string): void {
  for (const k of Object.keys(params)) {
    if (!known.includes(k)) throw invalidArgument(`${field}.params.${k}`, `unknown parameter; expected one of: ${known.join(', ')}`);
  }
}
