/**
 * One owner per data directory: the LOCK file.
 *
 * - Created atomically, with its content. The owner record (pid, a random token, host, when the
 *   process started and when it took the lock) is written to a private temporary file, fsynced, and
 *   hard-linked to LOCK: link() fails with EEXIST when LOCK exists, so of any number of starters
 *   exactly one creates it, and nobody ever sees a LOCK without its content. (Where hard links are
 *   not supported, an exclusive create, O_EXCL, is used instead; a reader that finds it still empty
 *   waits a moment.)
 * - Released only by its owner: close() removes LOCK only while it still holds the owner's own
 *   record (its random token), so a process never removes a lock that is not its own.
 * - A live owner is refused with its pid, host and start time. An owner on another host cannot be
 *   checked and counts as live. The owner is this very process when pid and process start time
 *   match (a second open in one process is refused); the same pid with another start time is an
 *   earlier process (containers reuse pid 1 on every restart) and counts as dead.
 * - A dead owner's lock is taken over, one starter at a time. Removing a stale LOCK is the only
 *   dangerous step: a starter that judged LOCK stale could, a moment later, delete the fresh LOCK of
 *   another starter that took it over in between. So removal is serialized by a claim: to remove
 *   the stale LOCK whose content hashes to H, a starter must first create `LOCK.takeover-H`
 *   exclusively (the same atomic create). Only the claim's winner may delete LOCK, and only after
 *   re-reading it and finding exactly the stale content it judged dead. That check cannot be
 *   overtaken: a LOCK with that content can be removed only by its (dead) owner or by a claim's
 *   winner, and there is one live winner at a time; once removed it never comes back (its token is
 *   random). Losers wait and start over: they then find the winner's live lock and are refused, or
 *   no lock and race for a fresh one, which again exactly one wins.
 *   A starter may die holding a claim. Its claim then names a dead process, and the next claim is
 *   `LOCK.takeover-H-H2`, H2 the hash of the dead claim: a chain in which each link is created
 *   exclusively, and a link is made only when the holder of the one before is dead. So at most one
 *   live starter holds a claim on H at any time. The winner removes the chain once LOCK is gone.
 *   What remains after crashes (claims and temporary files of dead processes) is swept by the next
 *   owner: once it holds LOCK, every claim on an older lock is moot.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, open, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { syncDir } from './fs-util.js';

export const LOCK_FILE = 'LOCK';
const AUX_PREFIX = 'LOCK.';
const CLAIM_PREFIX = 'LOCK.takeover-';
const TMP_SUFFIX = '.tmp';
/** Links in a chain of claims (each one a starter that died mid-takeover) before giving up. */
const MAX_CHAIN = 8;
/** How long a starter keeps retrying while another takes a stale lock over or writes LOCK. */
const WAIT_MS = 10_000;
const RETRY_MS = 5;
/** Two readings of this process's start time differ by rounding only; an earlier process by far more. */
const SAME_PROCESS_MS = 250;

/** When this process started (the same in every thread), to tell it from an earlier one with its pid. */
const PROCESS_START_MS = Math.round(Date.now() - process.uptime() * 1_000);
const HOST = hostname();

/** Another live process holds the data directory. */
export class JournalLockedError extends Error {
  override readonly name = 'JournalLockedError';
}

/** What a LOCK (or a claim) file says about its owner. Files of the earlier format hold a pid alone. */
export interface LockOwner {
  readonly pid: number;
  readonly token?: string;
  readonly host?: string;
  readonly processStartMs?: number;
  readonly acquiredAtMs?: number;
}

/** The steps on the lock files, for tests that slow them down (a slow or network disk). */
export type LockStep = 'create' | 'read' | 'takeover';

export interface DirLockOptions {
  /** Called before each step on a lock file; tests delay it to widen race windows. */
  readonly pause?: (step: LockStep) => Promise<void>;
  readonly now?: () => number;
}

export interface DirLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes LOCK if it still holds this lock's record; false (and nothing removed) otherwise. */
  release(): Promise<boolean>;
}

/** A short, stable name for a lock file's content: claims on a stale lock are named by it. */
export const lockIdentity = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

function parseOwner(text: string): LockOwner | undefined {
  const t = text.trim();
  if (/^\d{1,10}$/.test(t)) return Number(t) > 0 ? { pid: Number(t) } : undefined;
  try {
    const v = JSON.parse(t) as Record<string, unknown>;
    const { pid, token, host, processStartMs, acquiredAtMs } = v;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
    return {
      pid,
      ...(typeof token === 'string' ? { token } : {}),
      ...(typeof host === 'string' ? { host } : {}),
      ...(typeof processStartMs === 'number' ? { processStartMs } : {}),
      ...(typeof acquiredAtMs === 'number' ? { acquiredAtMs } : {}),
    };
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM';
  }
}

/** Whether the owner may still be running. Errs towards "alive": that refuses, never doubles. */
function ownerAlive(o: LockOwner): boolean {
  if (o.host !== undefined && o.host !== HOST) return true;
  if (o.pid === process.pid) return o.processStartMs !== undefined && Math.abs(o.processStartMs - PROCESS_START_MS) < SAME_PROCESS_MS;
  return pidAlive(o.pid);
}

function describeOwner(o: LockOwner): string {
  const since = o.acquiredAtMs === undefined ? [] : [`since ${new Date(o.acquiredAtMs).toISOString()}`];
  const host = o.host === undefined ? [] : [`on ${o.host}`];
  const more = [...since, ...host];
  return `process ${o.pid}${more.length > 0 ? ` (${more.join(', ')})` : ''}`;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Creates `path` holding `content` if it does not exist, atomically; false if it exists. The content
 * is fsynced before the name appears, so LOCK is never seen (or left by a crash) empty.
 */
async function createExclusive(path: string, content: string, token: string): Promise<boolean> {
  const tmp = `${path}.${token}${TMP_SUFFIX}`;
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    const c = code(err);
    if (c === 'EEXIST') return false;
    if (c !== 'EPERM' && c !== 'ENOTSUP' && c !== 'ENOSYS' && c !== 'EOPNOTSUPP') throw err;
  } finally {
    await rm(tmp, { force: true });
  }
  // No hard links here: an exclusive create, then the content.
  let out;
  try {
    out = await open(path, 'wx');
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    await out.writeFile(content);
    await out.sync();
  } finally {
    await out.close();
  }
  return true;
}

/** Takes the LOCK of `dir` for this process, or throws JournalLockedError naming the live holder. */
export async function acquireDirLock(dir: string, options: DirLockOptions = {}): Promise<DirLock> {
  const pause = options.pause ?? (() => Promise.resolve());
  const path = join(dir, LOCK_FILE);
  const token = randomBytes(12).toString('hex');
  const owner: LockOwner = { pid: process.pid, token, host: HOST, processStartMs: PROCESS_START_MS, acquiredAtMs: (options.now ?? Date.now)() };
  const content = `${JSON.stringify(owner)}\n`;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    await pause('create');
    if (await createExclusive(path, content, token)) {
      await syncDir(dir);
      await sweep(dir, token);
      return {
        path,
        owner,
        async release() {
          // Ours while it holds our record: nobody else removes a live owner's LOCK (see above).
          if ((await readText(path)) !== content) return false;
          await unlink(path).catch((err: unknown) => {
            if (code(err) !== 'ENOENT') throw err;
          });
          return true;
        },
      };
    }
    await pause('read');
    const text = await readText(path);
    if (text === undefined) continue; // released or taken over meanwhile: race again
    const holder = parseOwner(text);
    let busy = holder === undefined; // still being written (no hard links), or not a lock at all
    if (holder) {
      if (ownerAlive(holder)) throw new JournalLockedError(`the data directory ${dir} is in use by ${describeOwner(holder)}; one executor per data directory`);
      busy = (await takeOver(dir, path, text, content, token, pause)) === 'busy';
    }
    if (!busy) continue;
    if (Date.now() > deadline) {
      throw new JournalLockedError(
        holder
          ? `the data directory ${dir}: the lock of the dead ${describeOwner(holder)} could not be taken over within ${WAIT_MS} ms (another starter is taking it over)`
          : `the data directory ${dir} has a ${LOCK_FILE} file that names no owner; if no executor uses it, remove ${path}`,
      );
    }
    await sleep(RETRY_MS);
  }
}

/**
 * Removes the stale LOCK whose content is `stale`, if this starter wins the claim on it (see the
 * header). 'gone': that lock no longer exists (race for a new one); 'busy': another live starter
 * holds the claim (wait, then look again).
 */
async function takeOver(dir: string, path: string, stale: string, content: string, token: string, pause: (step: LockStep) => Promise<void>): Promise<'gone' | 'busy'> {
  const id = lockIdentity(stale);
  let claim = join(dir, `${CLAIM_PREFIX}${id}`);
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    await pause('takeover');
    if (await createExclusive(claim, content, token)) {
      try {
        await pause('read');
        if ((await readText(path)) === stale) {
          await unlink(path).catch((err: unknown) => {
            if (code(err) !== 'ENOENT') throw err; // removed by hand meanwhile
          });
          await syncDir(dir);
        }
      } finally {
        // The stale lock is gone for good: its claims are moot.
        for (const n of await readdir(dir)) if (n.startsWith(`${CLAIM_PREFIX}${id}`) && !n.endsWith(TMP_SUFFIX)) await rm(join(dir, n), { force: true });
      }
      return 'gone';
    }
    const text = await readText(claim);
    if (text === undefined) return 'gone'; // the winner finished and removed its claims
    const claimant = parseOwner(text);
    if (!claimant || ownerAlive(claimant)) return 'busy';
    // The claimant died mid-takeover: claim the next link of the chain.
    claim = `${claim}-${lockIdentity(text)}`;
  }
  throw new JournalLockedError(`the data directory ${dir}: ${MAX_CHAIN} takeovers of its stale ${LOCK_FILE} were interrupted; if no executor uses it, remove ${path} and the ${CLAIM_PREFIX}* files`);
}

/** Claims and temporary files left by dead processes; harmless, removed by the next owner. */
async function sweep(dir: string, token: string): Promise<void> {
  for (const n of await readdir(dir)) {
    if (!n.startsWith(AUX_PREFIX) || n.includes(token)) continue;
    const text = await readText(join(dir, n));
    const o = text === undefined ? undefined : parseOwner(text);
    if (o && !ownerAlive(o)) await rm(join(dir, n), { force: true });
  }
}
