/**
 * What reflection serves and what the server runs are one contract. src/contract holds both, made
 * from proto/ by two tools (buf compiles the descriptors reflection serves; protobufjs parses the codec
 * grpc-js runs): every message must come out of both with the same fields, numbers, types and labels.
 * And the Diagnostics service is served only when configured.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema, type DescriptorProto } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { CONTRACT_FILES, contractPackage } from '../src/contract/index.js';
import { rejection, startTestServer } from './support.js';

interface CodecField {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}

describe('the served descriptors and the running codec', () => {
  it('describe every message alike: each field with the same number, name, type and label', () => {
    const pkg = contractPackage();
    const checked: string[] = [];
    const walk = (scope: string, messages: readonly DescriptorProto[]): void => {
      for (const m of messages) {
        if (m.options?.mapEntry === true) continue; // protobufjs names map entries its own way; the map field is compared
        const fqn = `${scope}.${m.name}`;
        const def = pkg[fqn];
        expect(def && 'format' in def, fqn).toBe(true);
        if (!def || !('format' in def)) continue;
        const codec = ((def.type as { field: CodecField[] }).field)
          .map((f) => [f.number, f.name, f.type, f.label, f.typeName.split('.').pop() ?? ''])
          .sort((a, b) => Number(a[0]) - Number(b[0]));
        const served = m.field
          .map((f) => [f.number, f.jsonName, `TYPE_${FieldDescriptorProto_Type[f.type]}`, `LABEL_${FieldDescriptorProto_Label[f.label]}`, f.typeName.split('.').pop() ?? ''])
          .sort((a, b) => Number(a[0]) - Number(b[0]))
          // protobufjs calls a map field's entry after the field ("Fields"), protoc after the entry ("FieldsEntry").
          .map((f) => (String(f[4]).endsWith('Entry') ? [...f.slice(0, 4), String(f[4]).slice(0, -'Entry'.length)] : f));
        expect(codec, fqn).toEqual(served);
        checked.push(fqn);
        walk(fqn, m.nestedType);
      }
    };
    for (const file of CONTRACT_FILES) {
      const fd = fromBinary(FileDescriptorProtoSchema, Buffer.from(file.descriptor, 'base64'));
      walk(fd.package, fd.messageType);
    }
    expect(checked).toEqual(expect.arrayContaining(['paper_trader.v1.TradeRequest', 'paper_trader.v1.PortfolioReport', 'google.protobuf.Struct']));
    expect(checked.length).toBeGreaterThan(40);
  });

  it('list every file once, imports before the files that import them', () => {
    const seen = new Set<string>();
    for (const f of CONTRACT_FILES) {
      for (const d of f.dependencies) expect(seen.has(d), `${f.name} imports ${d}`).toBe(true);
      expect(seen.has(f.name)).toBe(false);
      seen.add(f.name);
    }
    expect([...seen]).toEqual(expect.arrayContaining(['paper_trader/v1/executor.proto', 'grpc/health/v1/health.proto', 'grpc/reflection/v1/reflection.proto']));
  });
});

describe('the Diagnostics service', () => {
  it('is off by default: Noop is UNIMPLEMENTED', async () => {
    const s = await startTestServer();
    try {
      expect((await rejection(s.client.noop('x'))).code).toBe(status.UNIMPLEMENTED);
    } finally {
      await s.stop();
    }
  });

  it('is served with server.diagnostics, which PTE_DIAGNOSTICS sets too', async () => {
    expect(loadConfig({ env: {} }).server.diagnostics).toBe(false);
    expect(loadConfig({ env: { PTE_DIAGNOSTICS: 'true' } }).server.diagnostics).toBe(true);
    expect(loadConfig({ env: { PTE_DIAGNOSTICS: 'FALSE' } }).server.diagnostics).toBe(false);
    expect(() => loadConfig({ env: { PTE_DIAGNOSTICS: 'yes' } })).toThrow(/server\.diagnostics.*env PTE_DIAGNOSTICS/);
    const s = await startTestServer({ server: { diagnostics: true } });
    try {
      expect(await s.client.noop('echo')).toEqual({ requestId: 'echo' });
    } finally {
      await s.stop();
    }
  });
});
