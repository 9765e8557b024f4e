/**
 * A private PostgreSQL server for fault tests that must restart the database itself: the machine's
 * own binaries (Debian's postgresql package), a fresh cluster in a temporary folder, on a free
 * loopback port, with trust authentication. It runs as the `postgres` user when the tests run as root
 * (PostgreSQL refuses to run as root). Tests that only need a database use test/support/postgres.ts
 * on the machine's server instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../fakes/local-redis.js';

export interface PgServer {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database: string): string;
  /** Stops the server the way a crash would (SIGQUIT: immediate shutdown, crash recovery at the next start). */
  crash(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  remove(): Promise<void>;
}

/** The newest installed PostgreSQL's bin folder, or undefined when none is installed. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The `postgres` user's uid and gid, to run the server as when we are root; none otherwise. */
function serverUser(): { uid: number; gid: number } | Record<string, never> {
  if (!asRoot) return {};
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPgServer(): Promise<PgServer> {
  const bin = postgresBin();
  if (bin === undefined) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'pte-pg-'));
  const user = serverUser();
  if ('uid' in user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], { encoding: 'utf8', ...user });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
    const proc = spawn(join(bin as string, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...user });
    child = proc;
    let log = '';
    proc.stderr.on('data', (c: Buffer) => {
      log = (log + c.toString()).slice(-4_000);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`postgres did not start: ${log}`)), 30_000);
      const check = (): void => {
        const r = spawnSync(join(bin as string, "pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port)]);
        if (r.status === 0) {
          clearTimeout(timer);
          resolve();
        } else if (proc.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`postgres exited: ${log}`));
        } else setTimeout(check, 100);
      };
      check();
    });
  }

  async function crash(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    // SIGQUIT is PostgreSQL's immediate shutdown: no checkpoint, crash recovery at the next start.
    proc.kill('SIGQUIT');
    await exited;
  }

  await start();
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    crash,
    start,
    async remove() {
      const proc = child;
      child = undefined;
      if (proc && proc.exitCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
