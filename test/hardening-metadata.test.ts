/**
 * Oversized call metadata over a real gRPC connection (grpc-js client, as a strategy would call):
 * every size gets a status the docs name (docs/hardening.md, "Oversized metadata"). An API key longer
 * than 256 bytes is refused UNAUTHENTICATED naming the bound; metadata larger than
 * server.maxMetadataBytes RESOURCE_EXHAUSTED (METADATA_TOO_LARGE). One header field whose HPACK
 * encoding exceeds 64 KiB never reaches the server's code: HTTP/2 (nghttp2's header decoder) ends the
 * connection with COMPRESSION_ERROR and grpc-js reports INTERNAL; the server keeps serving.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isServiceError } from '../src/client/index.js';
import { ERROR_CODE_METADATA_KEY } from '../src/server/index.js';
import { apiKeyHash } from '../src/server/guards/index.js';
import { startTestServer } from './support.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const KEY = `key-${randomUUID()}`;

async function outcome(p: Promise<unknown>): Promise<{ code: number; details: string; errorCode: unknown }> {
  try {
    await p;
  } catch (e) {
    if (!isServiceError(e)) throw e;
    return { code: e.code, details: e.details, errorCode: e.metadata.get(ERROR_CODE_METADATA_KEY)[0] };
  }
  return { code: status.OK, details: '', errorCode: undefined };
}

const withKey = (key: string): Metadata => {
  const md = new Metadata();
  md.set('x-api-key', key);
  return md;
};

describe('oversized metadata', () => {
  let s: Server;

  beforeAll(async () => {
    s = await startTestServer({ server: { apiKeys: [{ name: 'strat', keyHash: apiKeyHash(KEY), portfolios: ['*'] }] } });
  });
  afterAll(async () => {
    await s.stop();
  });

  it('an API key longer than 256 bytes is UNAUTHENTICATED, naming the bound', async () => {
    const r = await outcome(s.client.getPortfolio('m', { metadata: withKey('k'.repeat(300)) }));
    expect(r.code).toBe(status.UNAUTHENTICATED);
    expect(r.errorCode).toBe('UNAUTHENTICATED');
    expect(r.details).toBe('invalid API key: longer than 256 bytes');
  });

  it('10 KB and 60 KB keys, and 100 KB over two headers, are RESOURCE_EXHAUSTED (METADATA_TOO_LARGE)', async () => {
    const two = withKey('k'.repeat(50_000));
    two.set('x-more', 'm'.repeat(50_000));
    for (const md of [withKey('k'.repeat(10_000)), withKey(randomBytes(45_000).toString('base64')), two]) {
      const r = await outcome(s.client.getPortfolio('m', { metadata: md }));
      expect(r.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(r.errorCode).toBe('METADATA_TOO_LARGE');
      expect(r.details).toMatch(/^metadata: \d+ bytes of headers, more than 8192$/);
    }
  });

  it('100 KB and 1 MB keys end at HTTP/2 (INTERNAL, COMPRESSION_ERROR) before any handler; the server keeps serving', async () => {
    for (const n of [100_000, 1_000_000]) {
      const r = await outcome(s.client.getPortfolio('m', { metadata: withKey(randomBytes(n).toString('base64').slice(0, n)) }));
      expect(r.code).toBe(status.INTERNAL);
      expect(r.details).toMatch(/RST_STREAM with code 9/); // COMPRESSION_ERROR: a header field past 64 KiB
      expect(r.errorCode).toBeUndefined();
      // The same client reconnects and is served.
      expect((await s.client.getPortfolio('m', { metadata: withKey(KEY) })).portfolioId).toBe('m');
    }
  });
});
