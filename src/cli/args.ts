/**
 * Argument parsing shared by the commands: node:util parseArgs with strict options, plus the checks
 * that turn flag text into typed values. Everything here is pure and throws UsageError, which main
 * turns into exit code 64 with the command's usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The command line is wrong (sysexits EX_USAGE); `command` selects the usage text to show. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

export const DEFAULT_ADDR = '127.0.0.1:50051';

/** The executor address: --addr, else PTE_ADDR, else the default local port. */
export function resolveAddr(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const addr = flag ?? (env.PTE_ADDR !== undefined && env.PTE_ADDR !== '' ? env.PTE_ADDR : DEFAULT_ADDR);
  if (!/^[^\s/]+:\d{1,5}$/.test(addr) && !addr.startsWith('unix:')) {
    throw new UsageError(`--addr: ${JSON.stringify(addr)} is not host:port`);
  }
  return addr;
}

/** The flags of every command that talks to the executor. */
export const CONNECTION_OPTIONS = {
  addr: { type: 'string' },
  'api-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  tls: { type: 'boolean' },
  'tls-server-name': { type: 'string' },
} as const;

export const CONNECTION_USAGE = `connection (flags, else the environment):
  --addr HOST:PORT          executor address (PTE_ADDR; default 127.0.0.1:50051)
  --api-key KEY             API key, when the executor requires one (PTE_API_KEY: prefer it, since a
                            flag shows in the process list and the shell history)
  --tls-ca FILE             TLS, trusting the CA certificate (PEM) in FILE (PTE_TLS_CA)
  --tls                     TLS, trusting the system's certificate authorities
  --tls-server-name NAME    the name the certificate must hold, when not the host of --addr`;

/** Where the client connects and how: resolved from the flags and the environment, files not yet read. */
export interface ClientConnection {
  readonly addr: string;
  readonly apiKey: string | undefined;
  /** Absent: plaintext (a sidecar on localhost). */
  readonly tls:
    | {
        /** PEM of the CA to trust; absent: the system's roots. */
        readonly caFile: string | undefined;
        /** Where caFile came from, for messages: "--tls-ca" or "PTE_TLS_CA". */
        readonly caFrom: string;
        readonly serverName: string | undefined;
      }
    | undefined;
}

/** The connection flags of `command` (values of CONNECTION_OPTIONS) with PTE_ADDR, PTE_API_KEY and PTE_TLS_CA. */
export function resolveConnection(
  v: { readonly addr?: string | undefined; readonly 'api-key'?: string | undefined; readonly 'tls-ca'?: string | undefined; readonly tls?: boolean | undefined; readonly 'tls-server-name'?: string | undefined },
  env: NodeJS.ProcessEnv,
  command: string,
): ClientConnection {
  const fromEnv = (name: string): string | undefined => (env[name] !== undefined && env[name] !== '' ? env[name] : undefined);
  // Never echo the value: it is a secret.
  if (v['api-key'] === '') throw new UsageError('--api-key: empty; give the key, or set PTE_API_KEY instead', command);
  if (v['tls-ca'] === '') throw new UsageError('--tls-ca: empty; give the CA certificate file (PEM)', command);
  const caFile = v['tls-ca'] ?? fromEnv('PTE_TLS_CA');
  const useTls = caFile !== undefined || v.tls === true;
  const serverName = v['tls-server-name'];
  if (serverName !== undefined && !useTls) throw new UsageError('--tls-server-name needs --tls or --tls-ca', command);
  if (serverName === '') throw new UsageError('--tls-server-name: empty', command);
  return {
    addr: resolveAddr(v.addr, env),
    apiKey: v['api-key'] ?? fromEnv('PTE_API_KEY'),
    tls: useTls ? { caFile, caFrom: v['tls-ca'] !== undefined ? '--tls-ca' : 'PTE_TLS_CA', serverName } : undefined,
  };
}

type Options = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<O extends Options> = { args: string[]; options: O; strict: true; allowPositionals: true };
export type ParsedArgs<O extends Options> = ReturnType<typeof parseArgs<StrictConfig<O>>>;

/** parseArgs with strict options and positionals; its errors become UsageErrors for `command`. */
export function parseCommandArgs<O extends Options>(argv: readonly string[], options: O, command: string): ParsedArgs<O> {
  try {
    const config: StrictConfig<O> = { args: [...argv], options, strict: true, allowPositionals: true };
    return parseArgs(config);
  } catch (e) {
    const message = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, '') : String(e);
    throw new UsageError(message, command);
  }
}

/** A whole number flag within [min, max]. */
export function wholeNumber(flag: string, text: string, min: number, max: number, command: string): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${flag}: ${JSON.stringify(text)} must be a whole number from ${min} to ${max}`, command);
  }
  return Number(text);
}

/** "k=v" -> [k, v]; the key must be non-empty. */
export function keyValue(flag: string, text: string, command: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new UsageError(`${flag}: ${JSON.stringify(text)} must be KEY=VALUE`, command);
  return [text.slice(0, i), text.slice(i + 1)];
}

/** A model parameter's value: numbers and booleans typed, anything else kept as text. */
export function paramValue(text: string): number | boolean | string {
  if (/^-?\d+(?:\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/** At most one positional (an optional portfolio id). */
export function optionalId(positionals: readonly string[], command: string): string {
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`, command);
  return positionals[0] ?? '';
}
