/**
 * DESIGN.md's map of the code is enforced by eslint.config.js (one no-restricted-imports block per
 * folder of src/). These tests run the project's own ESLint config, without type information (the
 * boundary rules need none), on snippets that cross a boundary and on the tree as it stands.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const BOUNDARY_RULES = new Set(['@typescript-eslint/no-restricted-imports', 'no-restricted-properties']);

/** The project's config with the type-aware rules off: they need a program, the boundary rules do not. */
function linter(): ESLint {
  return new ESLint({ cwd: root, overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }] });
}

async function boundaryProblems(code: string, filePath: string): Promise<string[]> {
  const [result] = await linter().lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId)).map((m) => m.message);
}

describe('import boundaries (DESIGN.md map of the code)', () => {
  it('refuses a domain module importing a store module', async () => {
    const problems = await boundaryProblems("import { x } from '../store/codec.js';\nexport const y = x;\n", 'src/domain/wrong.ts');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('src/domain/ may import nothing of src/');
  });

  it('refuses I/O in the pure domain, from any depth of it', async () => {
    const problems = await boundaryProblems("import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'src/domain/slippage/wrong.ts');
    expect(problems.join('\n')).toContain('src/domain/ is pure');
    expect(await boundaryProblems("import { createHash } from 'node:crypto';\nexport const h = createHash;\n", 'src/domain/ok.ts')).toEqual([]);
  });

  it('lets an adapter import the executor ports as types only', async () => {
    expect(await boundaryProblems("import type { PriceSource } from '../executor/ports.js';\nexport type P = PriceSource;\n", 'src/market/ok.ts')).toEqual([]);
    const value = await boundaryProblems("import { x } from '../../executor/ports.js';\nexport const y = x;\n", 'src/store/questdb/wrong.ts');
    expect(value.length).toBeGreaterThan(0);
    const other = await boundaryProblems("import type { Executor } from '../executor/types.js';\nexport type E = Executor;\n", 'src/market/wrong.ts');
    expect(other.join('\n')).toContain('src/market/ may import domain');
  });

  it('sends the command through the composition root, not into store or market', async () => {
    expect((await boundaryProblems("import { readJournal } from '../store/journal-reader.js';\nexport const r = readJournal;\n", 'src/cli/wrong.ts')).join('\n')).toContain('src/cli/ may import');
    expect(await boundaryProblems("import { readJournal } from '../app.js';\nexport const r = readJournal;\n", 'src/cli/ok.ts')).toEqual([]);
    expect((await boundaryProblems("import { startApp } from '../app.js';\nexport const s = startApp;\n", 'src/server/wrong.ts')).join('\n')).toContain('only src/cli/ uses the composition root');
  });

  it("lets the dashboard reuse the server's mapping and nothing else of the server", async () => {
    expect(await boundaryProblems("import { tradeToWire } from '../server/mapping.js';\nexport const t = tradeToWire;\n", 'src/http/ok.ts')).toEqual([]);
    expect((await boundaryProblems("import { createGrpcServer } from '../server/grpc-server.js';\nexport const c = createGrpcServer;\n", 'src/http/wrong.ts')).join('\n')).toContain('src/http/ may import');
  });

  it('keeps test fakes out of src/ and the environment out of the parts', async () => {
    expect((await boundaryProblems("import { f } from '../../test/fakes/local-redis.js';\nexport const g = f;\n", 'src/market/wrong.ts')).join('\n')).toContain('never imported by src/');
    expect((await boundaryProblems('export const key = process.env.JUPITER_API_KEY;\n', 'src/market/wrong.ts')).join('\n')).toContain('src/cli/ or src/app.ts');
  });

  it('finds no boundary violation in the tree', async () => {
    const results = await linter().lintFiles(['src/**/*.ts']);
    const problems = results.flatMap((r) => r.messages.filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId)).map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(problems).toEqual([]);
  });
});
