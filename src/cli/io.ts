/**
 * What a command needs from the outside world, passed in so commands stay testable without a
 * process, a terminal or a server.
 */
import { readFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import { createExecutorClient, type ExecutorClient, type ExecutorClientOptions } from '../client/index.js';
import type { ClientConnection } from './args.js';
import { isCallFailure, unreachableMessage, type CallFailure } from './errors.js';

export interface CliIo {
  /** Results: tables, JSON. */
  readonly out: (text: string) => void;
  /** Messages for the person: errors, the serve banner. */
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Opens a client to `addr` (with an API key, TLS credentials); replaced in tests. */
  readonly connect: (addr: string, options?: ExecutorClientOptions) => ExecutorClient;
}

/** How long a command waits for the executor to accept a connection before saying it is not there. */
export const CONNECT_TIMEOUT_MS = 2_000;
/** Deadline of one call: generous, since a Jupiter-priced trade may retry across endpoints. */
export const CALL_DEADLINE_MS = 15_000;

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
    connect: (addr, options) => createExecutorClient(addr, { ...options, defaultDeadlineMs: CALL_DEADLINE_MS }),
  };
}

/** The executor could not be reached; main prints `message` and exits 2. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/** A call failed with a gRPC status; carries the address for the message. */
export class CallError extends Error {
  override readonly name = 'CallError';
  readonly failure: CallFailure;
  readonly addr: string;

  constructor(failure: CallFailure, addr: string) {
    super(failure.details, { cause: failure });
    this.failure = failure;
    this.addr = addr;
  }
}

/** A connection setting cannot be used (a CA file missing or not a certificate); main exits 78. */
export class ConnectionSetupError extends Error {
  override readonly name = 'ConnectionSetupError';
}

/** The client's options for `conn`: the API key, and TLS credentials from the CA file read now. */
export function clientOptions(conn: ClientConnection): ExecutorClientOptions {
  const apiKey = conn.apiKey === undefined ? {} : { apiKey: conn.apiKey };
  if (conn.tls === undefined) return apiKey;
  const { caFile, caFrom, serverName } = conn.tls;
  let ca: Buffer | null = null;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConnectionSetupError(`${caFrom}: cannot read ${caFile} (${code === 'ENOENT' ? 'no such file' : (code ?? String(e))})`);
    }
    // grpc-js takes any bytes here and fails only at the handshake, as "cannot connect": say it now.
    if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConnectionSetupError(`${caFrom}: ${caFile} is not a PEM certificate (no BEGIN CERTIFICATE block); give the CA that signed the executor's certificate`);
    }
  }
  let creds;
  try {
    creds = credentials.createSsl(ca);
  } catch (e) {
    throw new ConnectionSetupError(`${caFrom}: ${caFile ?? ''} is not a PEM certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  // The name checked against the certificate, and sent as :authority, when it is not the host dialled.
  const channelOptions = serverName === undefined ? {} : { channelOptions: { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } };
  return { ...apiKey, credentials: creds, ...channelOptions };
}

/** Connects, waits until the channel is ready, runs `fn`, and always closes the client. */
export async function withClient<T>(io: CliIo, conn: ClientConnection, fn: (client: ExecutorClient) => Promise<T>): Promise<T> {
  const { addr } = conn;
  const client = io.connect(addr, clientOptions(conn));
  try {
    try {
      await client.waitForReady(CONNECT_TIMEOUT_MS);
    } catch {
      throw new UnreachableError(unreachableMessage(addr, conn.tls !== undefined));
    }
    try {
      return await fn(client);
    } catch (e) {
      throw isCallFailure(e) ? new CallError(e, addr) : e;
    }
  } finally {
    client.close();
  }
}

/** JSON with two-space indentation; the wire messages hold no bigints (uint64 travels as strings). */
export const toJson = (value: unknown): string => JSON.stringify(value, null, 2);
