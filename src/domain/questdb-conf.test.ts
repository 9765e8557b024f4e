import { describe, expect, it } from 'vitest';
import { assertCredentialsFromEnv, describeConf, hasCredentials, parseClientConf, withSettings } from './questdb-conf.js';

describe('QuestDB client conf', () => {
  it('parses settings with ;; as an escaped semicolon', () => {
    const c = parseClientConf('https::addr=db:9000;password=a;;b;');
    expect(c.schema).toBe('https');
    expect(c.entries.get('password')).toBe('a;b');
  });

  it('describes only the address, never a credential', () => {
    expect(describeConf('http::addr=db:9000;username=admin;password=hunter2;')).toBe('http://db:9000');
    expect(describeConf('nonsense password=hunter2')).not.toContain('hunter2');
  });

  it('forces settings the recorder owns, keeping the rest', () => {
    const c = parseClientConf(withSettings('http::addr=db:9000;auto_flush=on;password=a;;b;', { auto_flush: 'off' }));
    expect(c.entries.get('auto_flush')).toBe('off');
    expect(c.entries.get('password')).toBe('a;b');
  });

  it('accepts credentials only from the environment', () => {
    const conf = 'http::addr=db:9000;token=abc;';
    expect(hasCredentials(conf)).toBe(true);
    expect(() => assertCredentialsFromEnv(conf, 'env QDB_CLIENT_CONF')).not.toThrow();
    expect(() => assertCredentialsFromEnv(conf, 'flag --questdb')).toThrow(/QDB_CLIENT_CONF/);
    expect(() => assertCredentialsFromEnv(conf, 'pte.yaml')).toThrow(/credentials/);
    expect(() => assertCredentialsFromEnv('http::addr=db:9000;', 'flag --questdb')).not.toThrow();
  });

  it('rejects a conf without schema or addr', () => {
    expect(() => parseClientConf('addr=db:9000;')).toThrow(/schema/);
    expect(() => parseClientConf('http::request_timeout=5;')).toThrow(/addr/);
  });
});
