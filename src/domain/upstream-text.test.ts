import { describe, expect, it } from 'vitest';
import { redactUpstreamText, UPSTREAM_TEXT_MAX_CHARS } from './upstream-text.js';

const basic = (user: string, pass: string): string => Buffer.from(`${user}:${pass}`).toString('base64');

describe('redactUpstreamText', () => {
  it('removes Authorization and Proxy-Authorization values in header, JSON and k=v form', () => {
    const text = [
      `Authorization: Basic ${basic('admin', 'hunter2')}`,
      'proxy-authorization: Bearer abc.def-ghi',
      '{"authorization":"Bearer eyJhbGciOi.x.y","host":"db:9000"}',
      'authorization=Token zzz;next=1',
    ].join('\r\n');
    const out = redactUpstreamText(text);
    expect(out).not.toMatch(/hunter2|YWRtaW46aHVudGVyMg|abc\.def-ghi|eyJhbGciOi|zzz/);
    expect(out).toContain('"host":"db:9000"');
    expect(out).toContain('next=1');
  });

  it('removes Basic and Bearer credentials and secret-looking pairs wherever they are', () => {
    const out = redactUpstreamText('got bearer s3cr3t-tok and Basic QWxhZGRpbjpvcGVu; password=pw1&token=t0k "api_key": "k-1" x-api-key: k-2 client_secret=cs');
    for (const s of ['s3cr3t-tok', 'QWxhZGRpbjpvcGVu', 'pw1', 't0k', 'k-1', 'k-2', '=cs']) expect(out).not.toContain(s);
    expect(out).toContain('password=[redacted]');
  });

  it('removes the configured values themselves, URL-encoded and as Basic credentials, in any format', () => {
    const out = redactUpstreamText(`user pte-writer, pass p%40ss%3Bw0rd, p@ss;w0rd, cred ${basic('pte-writer', 'p@ss;w0rd')}`, {
      secrets: ['pte-writer', 'p@ss;w0rd', ''],
    });
    expect(out).not.toMatch(/pte-writer|p@ss|p%40ss|w0rd/);
    expect(out).not.toContain(basic('pte-writer', 'p@ss;w0rd'));
  });

  it('bounds the length and says how long the text was; short text and error codes stay as they are', () => {
    const long = `HTTP request failed, statusCode=502, error=${'x'.repeat(100_000)}`;
    const out = redactUpstreamText(long);
    expect(out.length).toBeLessThan(UPSTREAM_TEXT_MAX_CHARS + 64);
    expect(out).toMatch(/^HTTP request failed, statusCode=502, error=x+\.\.\. \(100043 characters, cut\)$/);
    expect(redactUpstreamText('connect ECONNREFUSED 127.0.0.1:9000')).toBe('connect ECONNREFUSED 127.0.0.1:9000');
    expect(redactUpstreamText('a\r\nb\u0000c', { maxChars: 3 })).toBe('a b... (6 characters, cut)');
  });

  it('keeps JSON parseable when it redacts inside string members', () => {
    const out = redactUpstreamText('{"error":"bad token=abc","errorCode":"X","authorization":"Basic Zm9v"}', { maxChars: 10_000 });
    expect(JSON.parse(out)).toEqual({ error: 'bad token=[redacted]', errorCode: 'X', authorization: '[redacted]' });
  });
});
