import type { Token, TokenRegistry } from '../domain/tokens.js';
import { headerIndex, RowError } from './columns.js';
import { parseCsv } from './csv.js';
import { isGenericHeader, loadGeneric, GENERIC_REQUIRED } from './generic.js';
import { isPumpfunHeader, loadPumpfun } from './pumpfun.js';
import type { LoadedTrades } from './trades.js';

/** The whole file cannot be used (wrong format, missing columns, broken CSV). */
export class TradeFileError extends Error {
  override readonly name = 'TradeFileError';
}

/**
 * Reads a trade file in either format, chosen from its header. Rows that cannot be read are returned
 * in `skipped` with their line and reason; a file whose header fits neither format is refused.
 */
export function loadTrades(text: string, tokens: TokenRegistry, limit?: number): LoadedTrades {
  let table;
  let index;
  try {
    table = parseCsv(text);
    index = headerIndex(table.header);
  } catch (e) {
    throw new TradeFileError(e instanceof Error ? e.message : String(e));
  }
  const limited = limit === undefined ? table : { header: table.header, records: table.records.slice(0, limit) };
  const sol: Token = tokens.sol;
  try {
    if (isPumpfunHeader(index)) return loadPumpfun(limited, index, sol);
    if (isGenericHeader(index)) return loadGeneric(limited, index, tokens);
  } catch (e) {
    if (e instanceof RowError) throw new TradeFileError(e.message);
    throw e;
  }
  throw new TradeFileError(
    `the header fits neither format: a pump.fun export needs virtual_sol_reserves, virtual_token_reserves and block_num; the generic format needs ${GENERIC_REQUIRED.join(', ')}, slot or time, and reserves or quoted_out (docs/fidelity.md)`,
  );
}
