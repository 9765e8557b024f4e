/**
 * API keys: who may call, and which portfolios each caller may touch. Keys never sit in the config
 * file in clear: an entry names the environment variable that holds the key (`keyEnv`) or stores its
 * SHA-256 (`keyHash`). A presented key is hashed and compared with every configured digest with
 * crypto.timingSafeEqual on equal-length buffers, and the loop does not stop at a match, so the time
 * taken says nothing about how close a guess was or which entry matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { guardError } from './guard-error.js';
import { createTokenBucket, type TokenBucket } from './token-bucket.js';

/** One `server.apiKeys` entry as configured. */
export interface ApiKeyConfig {
  readonly name: string;
  readonly keyEnv?: string | undefined;
  /** Hex SHA-256 of the key, optionally prefixed "sha256:". */
  readonly keyHash?: string | undefined;
  /** Portfolio ids this key may use; "default" is the "" portfolio; "*" is every portfolio. */
  readonly portfolios: readonly string[];
  readonly ratePerSec?: number | undefined;
  /** Requests that may be sent at once after a pause. Default: max(1, ratePerSec). */
  readonly burst?: number | undefined;
}

/** A key as the guard holds it: its digest, never the key. */
export interface Principal {
  readonly name: string;
  readonly digest: Buffer;
  readonly allPortfolios: boolean;
  readonly portfolios: ReadonlySet<string>;
  readonly bucket: TokenBucket | undefined;
}

export const API_KEY_HEADER = 'x-api-key';
const BEARER = /^bearer\s+(.+)$/i;
/**
 * Longest key accepted, in bytes; longer values are refused (UNAUTHENTICATED, naming the bound)
 * before hashing. Keys are random tokens of a few dozen characters; 256 leaves room for any scheme.
 */
export const MAX_API_KEY_BYTES = 256;

export const sha256 = (text: string | Buffer): Buffer => createHash('sha256').update(text).digest();

/** The hex digest to put in `keyHash` for a key (`pte`-less helper for docs and tests). */
export const apiKeyHash = (key: string): string => sha256(key).toString('hex');

/**
 * Resolves configured keys: reads each keyEnv from `env`. A missing or empty variable fails the
 * start with a message naming the variable (never a value).
 */
export function resolveApiKeys(keys: readonly ApiKeyConfig[], env: Readonly<Record<string, string | undefined>>): Principal[] {
  return keys.map((k) => {
    let digest: Buffer;
    if (k.keyEnv !== undefined) {
      const value = env[k.keyEnv];
      if (value === undefined || value === '') throw new Error(`server.apiKeys "${k.name}": environment variable ${k.keyEnv} is not set`);
      digest = sha256(value);
    } else if (k.keyHash !== undefined) {
      digest = Buffer.from(k.keyHash.replace(/^sha256:/i, ''), 'hex');
      if (digest.length !== 32) throw new Error(`server.apiKeys "${k.name}": keyHash is not a SHA-256 hex digest`);
    } else throw new Error(`server.apiKeys "${k.name}": set keyEnv or keyHash`);
    const rate = k.ratePerSec;
    return {
      name: k.name,
      digest,
      allPortfolios: k.portfolios.includes('*'),
      portfolios: new Set(k.portfolios),
      bucket: rate === undefined ? undefined : createTokenBucket(rate, k.burst ?? Math.max(1, rate)),
    };
  });
}

/** The key a call presents: `x-api-key`, else `authorization: Bearer KEY`. */
export function presentedKey(metadata: Metadata): string | undefined {
  const direct = metadata.get(API_KEY_HEADER)[0];
  if (typeof direct === 'string' && direct !== '') return direct;
  const auth = metadata.get('authorization')[0];
  if (typeof auth === 'string') return BEARER.exec(auth)?.[1]?.trim();
  return undefined;
}

export interface Authenticator {
  readonly enabled: boolean;
  /** The caller's principal; undefined when no keys are configured (open server). Throws UNAUTHENTICATED. */
  authenticate(metadata: Metadata): Principal | undefined;
  /** Throws PERMISSION_DENIED unless `principal` may use the portfolio ("" = default). */
  authorize(principal: Principal | undefined, portfolioId: string): void;
}

export function createAuthenticator(principals: readonly Principal[]): Authenticator {
  const enabled = principals.length > 0;
  return {
    enabled,
    authenticate(metadata) {
      if (!enabled) return undefined;
      const key = presentedKey(metadata);
      if (key === undefined) throw guardError('UNAUTHENTICATED', `missing API key: send it in the ${API_KEY_HEADER} header or as authorization: Bearer`, API_KEY_HEADER);
      if (Buffer.byteLength(key) > MAX_API_KEY_BYTES) throw guardError('UNAUTHENTICATED', `invalid API key: longer than ${MAX_API_KEY_BYTES} bytes`, API_KEY_HEADER);
      const digest = sha256(key);
      let found: Principal | undefined;
      for (const p of principals) {
        // Every entry is compared, match or not: constant work whatever the key.
        if (timingSafeEqual(p.digest, digest) && found === undefined) found = p;
      }
      if (found === undefined) throw guardError('UNAUTHENTICATED', 'invalid API key', API_KEY_HEADER);
      return found;
    },
    authorize(principal, portfolioId) {
      if (principal === undefined || principal.allPortfolios) return;
      const id = portfolioId === '' ? 'default' : portfolioId;
      if (!principal.portfolios.has(id)) {
        // The id is not echoed: a denied caller learns nothing about other keys' portfolios.
        throw guardError('PERMISSION_DENIED', `portfolio_id: this API key (${principal.name}) may not use this portfolio`, 'portfolio_id');
      }
    },
  };
}
