// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * DESIGN.md's map of the code, enforced: what each folder of src/ may import. Specifiers are matched
 * by the folder they climb into (`../store/x.js`, `../../executor/ports.js`), which is unambiguous
 * because no subfolder shares a name with a top-level one. Tests (`*.test.ts`) cross folders freely.
 */
const FOLDERS = ['contract', 'domain', 'report', 'market', 'store', 'executor', 'server', 'http', 'client', 'fidelity', 'observability', 'config', 'cli'];
const UP = String.raw`^(?:\.\./)+`;
/** @type {Record<string, { may: string[]; valueExceptions?: Record<string, string[]>; typeExceptions?: string[]; pure?: boolean; app?: boolean }>} */
const MAP = {
  contract: { may: [] },
  domain: { may: [], pure: true },
  report: { may: ['domain'], pure: true },
  // Ports live with the code that needs them: adapters implement the executor's, type-only.
  market: { may: ['domain'], typeExceptions: ['executor/ports'] },
  store: { may: ['domain'], typeExceptions: ['executor/ports'] },
  executor: { may: ['domain', 'report'] },
  // The transport records into the metrics registry it is given (its sink types only).
  server: { may: ['executor', 'report', 'domain', 'contract'], typeExceptions: ['observability/metrics'] },
  // The dashboard's JSON is the gRPC contract's shape: it reuses the server's proto <-> domain mapping.
  http: { may: ['executor', 'report', 'domain', 'contract'], valueExceptions: { server: ['mapping', 'report-mapping'] } },
  client: { may: ['contract'] },
  fidelity: { may: ['domain'], valueExceptions: { executor: ['pipeline'] } },
  observability: { may: [] },
  config: { may: ['domain'] },
  // Everything else (store, market, executor, server, http) through the composition root's exports.
  cli: { may: ['config', 'domain', 'report', 'fidelity', 'client', 'observability', 'contract'], app: true },
};

/** One flat-config block per folder: @typescript-eslint/no-restricted-imports with regex patterns. */
function boundaryBlocks() {
  return Object.entries(MAP).map(([folder, rule]) => {
    const may = `src/${folder}/ may import ${rule.may.length === 0 ? 'nothing of src/' : rule.may.join(', ')} (DESIGN.md, map of the code)`;
    const patterns = [];
    for (const other of FOLDERS) {
      if (other === folder || rule.may.includes(other)) continue;
      const allowed = rule.valueExceptions?.[other] ?? [];
      const rest = allowed.length === 0 ? '' : String.raw`(?!(?:${allowed.join('|')})\.js$)`;
      patterns.push({ regex: `${UP}${other}/${rest}`, message: may });
    }
    for (const file of rule.typeExceptions ?? []) {
      patterns.push({ regex: `${UP}${file}\\.js$`, allowTypeImports: true, message: `${may}; ${file}.ts as \`import type\` only` });
    }
    if (rule.app !== true) patterns.push({ regex: String.raw`${UP}app\.js$`, message: `${may}; only src/cli/ uses the composition root` });
    patterns.push({ regex: String.raw`${UP}(?:test|bench)/`, message: 'test fakes and benchmarks are never imported by src/' });
    if (rule.pure === true) {
      patterns.push({ regex: String.raw`^(?![./]|node:crypto$|pure-rand(?:/|$))`, message: `src/${folder}/ is pure: no I/O, no service packages (DESIGN.md)` });
    }
    return {
      files: [`src/${folder}/**/*.ts`],
      ignores: ['**/*.test.ts'],
      rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
    };
  });
}

export default tseslint.config(
  // src/contract is generated from proto/ (`npm run gen`) and checked by `npm run gen:check`, not linted.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'src/contract/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  ...boundaryBlocks(),
  {
    // Only the command and the composition root read the environment; every other part is handed its settings.
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts', 'src/cli/**', 'src/app.ts'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read the environment in src/cli/ or src/app.ts and pass the value in' }] },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // Node scripts (scripts/): the globals they use.
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', Buffer: 'readonly' } },
  },
  {
    // The dashboard's browser modules (web/): the browser's globals, and uPlot from its <script> tag.
    files: ['web/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window', 'document', 'location', 'sessionStorage', 'fetch', 'Headers', 'URLSearchParams', 'AbortController',
          'TextDecoderStream', 'FormData', 'CSS', 'Node', 'ResizeObserver', 'crypto', 'console',
          'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'uPlot',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
