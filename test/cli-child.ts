/**
 * The real `pte serve` in a child process, for tests that must kill or signal it. The child runs
 * compiled JavaScript (vitest compiles only in its own process), built with tsc into a private folder
 * under node_modules/.cache, where the proto and package.json lookups still find the repository.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Builds the CLI into node_modules/.cache/pte-<name>-dist-<pid>; returns its main script and a cleanup. */
export function buildCli(name: string): { readonly main: string; readonly remove: () => void } {
  const out = join(ROOT, 'node_modules', '.cache', `pte-${name}-dist-${process.pid}`);
  const main = join(out, 'src', 'cli', 'main.js');
  // Type errors elsewhere do not stop tsc from emitting; the type check is a separate gate.
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(main)) throw new Error(`build failed: ${main} was not produced`);
  return { main, remove: () => rmSync(out, { recursive: true, force: true }) };
}

export interface ServeChild {
  readonly proc: ChildProcess;
  readonly port: number;
  /** Everything the child wrote to stderr so far. */
  readonly stderr: () => string;
  /** Everything it wrote to stdout (its JSON log) so far; empty unless spawned with captureStdout. */
  readonly stdout: () => string;
}

export interface SpawnOptions {
  /** Collect stdout (the log) too; off by default so a long run's log is not held in memory. */
  readonly captureStdout?: boolean;
}

/** Runs `main serve ...args` on free ports and resolves once it says where it serves. */
export function spawnServe(main: string, args: readonly string[], env: Readonly<Record<string, string>> = {}, options: SpawnOptions = {}): Promise<ServeChild> {
  const proc = spawn(process.execPath, [main, 'serve', '--grpc-port', '0', '--metrics-port', '0', '--http-port', '0', ...args], {
    cwd: ROOT,
    // No warm start unless a test asks for one (PTE_WARM_UP_TRADES in `env`).
    env: { ...process.env, PTE_WARM_UP_TRADES: '0', ...env },
    stdio: ['ignore', options.captureStdout === true ? 'pipe' : 'ignore', 'pipe'],
  });
  const errPipe = proc.stderr;
  if (errPipe === null) throw new Error('spawn gave no stderr pipe');
  let stderr = '';
  let stdout = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    errPipe.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /serving paper trades on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]), stderr: () => stderr, stdout: () => stdout });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
}
