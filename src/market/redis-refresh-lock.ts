/**
 * The refresh lock of the shared (Redis) price cache: one key per mint, `<prefix>lock:<mint>`, taken
 * with SET NX PX by the executor that will fetch the mint upstream and released by it once the price
 * is written. Executors that find the lock held wait for the price instead of fetching it too, so N
 * executors make one upstream call per mint per TTL. The PX timeout bounds what a holder that dies
 * (or hangs) costs the others: once it passes, the key is gone and someone else fetches.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Mint } from '../domain/tokens.js';

/**
 * Deletes each lock key still holding the caller's token and leaves any other alone: a holder whose
 * lock expired and was taken by another executor must not release that executor's lock. GET and DEL
 * run as one script, so no other command lands between the check and the delete.
 */
export const RELEASE_SCRIPT = `local n = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then n = n + redis.call('DEL', key) end
end
return n`;

/** The lock key of a mint, beside its price key under the same prefix. */
export const lockKey = (prefix: string, mint: Mint): string => `${prefix}lock:${mint}`;

/**
 * A token unique to one lookup, stored as the lock's value: releasing compares it, so a lookup only
 * ever deletes a lock it took (two lookups of one process never share one).
 */
export const lockToken = (): string => randomUUID();

/** What one attempt to take the locks of some mints found. */
export interface LockClaim {
  /** Mints whose lock this attempt took (SET NX answered OK). */
  readonly won: readonly Mint[];
  /** Mints whose lock was already held by another lookup. */
  readonly held: readonly Mint[];
  /**
   * The price values read right after the SETs in the same pipeline. When a lock was won, a price
   * already here was written before the previous holder released it, so it must not be fetched again.
   */
  readonly values: readonly (string | null)[];
}

/**
 * Tries to take the lock of every mint, and reads their prices, in one round trip (a pipeline: the
 * SETs, then one MGET). Throws when Redis fails: the caller then fetches upstream without a lock.
 */
export async function claimLocks(redis: Redis, prefix: string, mints: readonly Mint[], token: string, lockMs: number): Promise<LockClaim> {
  const p = redis.pipeline();
  for (const m of mints) p.set(lockKey(prefix, m), token, 'PX', lockMs, 'NX');
  p.mget(...mints.map((m) => prefix + m));
  const results = await p.exec();
  if (results === null || results.length !== mints.length + 1) throw new Error('redis pipeline answered no results');
  const failed = results.find(([e]) => e !== null)?.[0];
  if (failed) throw failed;
  const won: Mint[] = [];
  const held: Mint[] = [];
  mints.forEach((m, i) => (results[i]?.[1] === 'OK' ? won : held).push(m));
  const values = results[mints.length]?.[1];
  if (!Array.isArray(values)) throw new Error('redis MGET answered no list');
  return { won, held, values: values.map((v) => (typeof v === 'string' ? v : null)) };
}

/**
 * Reads the prices and the locks of mints being waited for, in one MGET: the first half of the answer
 * is the price values, the second whether each lock is still held.
 */
export async function peekLocks(redis: Redis, prefix: string, mints: readonly Mint[]): Promise<{ values: (string | null)[]; locked: boolean[] }> {
  const answer = await redis.mget(...mints.map((m) => prefix + m), ...mints.map((m) => lockKey(prefix, m)));
  return { values: answer.slice(0, mints.length), locked: answer.slice(mints.length).map((v) => v !== null) };
}

/** Releases this lookup's locks on the mints (those another lookup now holds are left alone). */
export async function releaseLocks(redis: Redis, prefix: string, mints: readonly Mint[], token: string): Promise<void> {
  if (mints.length === 0) return;
  await redis.eval(RELEASE_SCRIPT, mints.length, ...mints.map((m) => lockKey(prefix, m)), token);
}
