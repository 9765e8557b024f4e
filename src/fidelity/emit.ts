import { empiricalParams, type EmpiricalModelData } from '../domain/slippage/empirical.js';

/**
 * The fitted empirical model as a config file `pte serve` loads: `slippage.model` with name empirical
 * and the tables as its params. The same file can be named from another config with
 * `slippage.model.params.file`. JSON for a .json name, else YAML (one table per line).
 */
export function emittedModelText(model: EmpiricalModelData, fileName: string): string {
  const params = empiricalParams(model);
  const doc = { slippage: { model: { name: 'empirical', params } } };
  if (/\.json$/i.test(fileName)) return `${JSON.stringify(doc, null, 2)}\n`;
  const lines = [
    '# Empirical slippage model fitted by `pte evaluate --fit --emit-model` (docs/slippage-models.md).',
    `# Fitted on: ${model.fittedOn.replace(/\n/g, ' ')}`,
    `# sha256 ${model.digest}: recorded with every trade that draws from it.`,
    '# Run it: pte serve --config THIS_FILE, or from another config:',
    '#   slippage: { model: { name: empirical, params: { file: THIS_FILE } } }',
    'slippage:',
    '  model:',
    '    name: empirical',
    '    params:',
    `      version: ${model.version}`,
    `      horizonSlots: ${model.horizonSlots}`,
    `      fittedOn: ${JSON.stringify(model.fittedOn)}`,
    `      sizeBucketsBps: ${JSON.stringify(model.sizeBucketsBps)}`,
    '      tables:',
    ...(params['tables'] as readonly unknown[]).map((t) => `        - ${JSON.stringify(t)}`),
  ];
  return `${lines.join('\n')}\n`;
}
