import type { Brand } from './brand.js';
import { TOKEN_LIST } from './token-list.js';
import { ExecutorError, invalidArgument } from './errors.js';

/** A Solana mint address (base58, 32-44 characters). */
export type Mint = Brand<string, 'Mint'>;

const BASE58 = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;
export const isMint = (s: string): s is Mint => BASE58.test(s);
export function assertIsMint(s: string): asserts s is Mint {
  if (!isMint(s)) throw new RangeError(`not a mint address: ${s}`);
}
export function mint(s: string): Mint {
  assertIsMint(s);
  return s;
}

/** Asset class: drives simulated volatility, MEV exposure and default slippage bands. */
export type TokenClass = 'major' | 'stable' | 'mid' | 'meme';

export interface Token {
  readonly symbol: string;
  readonly mint: Mint;
  readonly decimals: number;
  readonly class: TokenClass;
}

export const SOL_MINT = mint('So11111111111111111111111111111111111111112');
export const USDC_MINT = mint('EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v');

export interface TokenRegistry {
  /** Every token, in registry order. */
  readonly all: readonly Token[];
  /** By symbol (case-insensitive) or mint; undefined when unknown. */
  find(symbolOrMint: string): Token | undefined;
  /** By symbol or mint; a clear NOT_FOUND naming `field` when unknown, INVALID_ARGUMENT when empty. */
  resolve(symbolOrMint: string, field: string): Token;
  bySymbol(symbol: string): Token;
  readonly sol: Token;
}

export function createTokenRegistry(tokens: readonly Token[] = defaultTokens()): TokenRegistry {
  const byMint = new Map<string, Token>();
  const bySym = new Map<string, Token>();
  for (const t of tokens) {
    if (byMint.has(t.mint)) throw new Error(`duplicate mint in token registry: ${t.mint}`);
    if (bySym.has(t.symbol.toLowerCase())) throw new Error(`duplicate symbol in token registry: ${t.symbol}`);
    byMint.set(t.mint, t);
    bySym.set(t.symbol.toLowerCase(), t);
  }
  const find = (s: string): Token | undefined => byMint.get(s) ?? bySym.get(s.toLowerCase());
  const sol = byMint.get(SOL_MINT);
  if (!sol) throw new Error('token registry must contain SOL: fees are paid in it');
  return {
    all: tokens,
    find,
    sol,
    resolve(s, field) {
      if (s.length === 0) throw invalidArgument(field, 'must not be empty');
      const t = find(s);
      if (!t) {
        throw new ExecutorError('TOKEN_NOT_FOUND', `${field}: unknown token ${JSON.stringify(printable(s))}`, { field });
      }
      return t;
    },
    bySymbol(symbol) {
      const t = bySym.get(symbol.toLowerCase());
      if (!t) throw new Error(`token registry has no ${symbol}`);
      return t;
    },
  };
}

export function defaultTokens(): Token[] {
  return TOKEN_LIST.map((t) => ({ ...t, mint: mint(t.mint) }));
}

/** Cuts and escapes user text before it goes into an error message or a log line. */
export function printable(s: string, maxLength = 64): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength)}...` : cleaned;
}
