import { describe, expect, it } from 'vitest';
import type { PortfolioReportMessage } from '../client/index.js';
import { reportToWire } from '../server/report-mapping.js';
import { sampleReportInput } from '../../test/support/report.js';
import { buildReport } from '../report/report.js';
import { axisUsd, escapeHtml, niceTicks, renderTearsheet } from './tearsheet.js';

/** The report as a client receives it: the real model on the fixed history, mapped to the wire. */
function wireReport(portfolioId = 'default', patch: Partial<PortfolioReportMessage> = {}): PortfolioReportMessage {
  return { ...reportToWire(buildReport(sampleReportInput(portfolioId))), ...patch };
}

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);

/** Every element closed in order (SVG elements may close themselves): a well-formed document. */
function unbalancedTags(html: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  const body = html.replace(/^<!DOCTYPE html>/, '').replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name = '', , selfClosing] = m;
    const tag = name.toLowerCase();
    if (closing === '/') {
      const open = stack.pop();
      if (open !== tag) problems.push(`</${tag}> closes <${open ?? 'nothing'}>`);
    } else if (selfClosing !== '/' && !VOID.has(tag)) stack.push(tag);
  }
  return [...problems, ...stack.map((t) => `<${t}> never closed`)];
}

describe('tearsheet', () => {
  const html = renderTearsheet([wireReport()], { generatedAtMs: Date.UTC(2025, 0, 1) });

  it('is one well-formed standalone document that fetches nothing', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(unbalancedTags(html)).toEqual([]);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    // No script, stylesheet, image, font or link: the only URL is the SVG namespace.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|@import|url\(/i);
    expect([...html.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0])).toEqual(Array(4).fill('http://www.w3.org/2000/svg'));
  });

  it('draws every point of the equity curve and the benchmark, and the drawdown', () => {
    const polylines = [...html.matchAll(/<polyline points="([^"]+)"/g)].map((m) => (m[1] ?? '').split(' '));
    // portfolio, buy and hold, drawdown: one vertex per equity point (6)
    expect(polylines.map((p) => p.length)).toEqual([6, 6, 6]);
    // The peak (2218.9994) is the highest vertex of the portfolio line (smallest y), and its drawdown is 0.
    const ys = (polylines[0] ?? []).map((p) => Number(p.split(',')[1]));
    expect(ys.indexOf(Math.min(...ys))).toBe(2);
    expect(html).toContain('aria-label="Equity (USD) vs buy-and-hold"');
    expect(html).toContain('aria-label="Drawdown from the running peak (%)"');
  });

  it('shows the cost waterfall with each component and the total', () => {
    for (const label of ['base network fees', 'priority fees', 'account rent', 'slippage', 'price impact', 'MEV loss', 'failed-trade fees', 'total']) {
      expect(html).toContain(`class="ax">${label}</text>`);
    }
    const r = wireReport();
    expect(html).toContain(`<title>total: $${Number(r.costs?.totalUsd).toFixed(2)}</title>`);
  });

  it('shows the key figures and tables', () => {
    expect(html).toContain('<div class="v pos">+3.36 %</div>');
    expect(html).toContain('<td>momentum</td>');
    expect(html).toContain('<td>(untagged)</td>');
    expect(html).toContain('<td>SOL</td>');
    expect(html).toContain('2024-01-01 00:00:00Z to 2024-01-04 12:00:00Z');
  });

  it('escapes every string taken from the report', () => {
    const hostile = '<script>alert("x")</script>&\'';
    const base = wireReport();
    const group = base.groups[0];
    const token = base.tokens[0];
    if (!group || !token) throw new Error('the fixed history has groups and tokens');
    const r = wireReport('default', {
      portfolioId: hostile,
      groupBy: hostile,
      ratioMethod: hostile,
      groups: [{ ...group, value: `<img src=x onerror=alert(1)>` }],
      tokens: [{ ...token, token: { symbol: '<b>SOL</b>', mint: 'm', decimals: 9 } }],
    });
    const out = renderTearsheet([r, wireReport('momentum')], { generatedAtMs: 0 });
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<b>SOL');
    expect(out).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;');
    expect(unbalancedTags(out)).toEqual([]);
    // Two reports: the side-by-side table first.
    expect(out.indexOf('Side by side')).toBeLessThan(out.indexOf('Portfolio <span'));
  });

  it('escapeHtml covers the five special characters', () => {
    expect(escapeHtml(`a&b<c>d"e'f`)).toBe('a&#38;b&#60;c&#62;d&#34;e&#39;f');
  });

  it('a one-point report still renders', () => {
    const input = sampleReportInput();
    const r = reportToWire(buildReport({ ...input, toMs: input.marks[0]?.atMs ?? 0 }));
    const out = renderTearsheet([r], { generatedAtMs: 0 });
    expect(unbalancedTags(out)).toEqual([]);
    expect(out).toContain('<circle');
    expect(out).toContain('no daily return in the range');
  });

  it('axis helpers', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(1887, 2219, 5)).toEqual([1900, 2000, 2100, 2200]);
    expect(axisUsd(12_250)).toBe('$12,250');
    expect(axisUsd(950)).toBe('$950');
    expect(axisUsd(-2.5)).toBe('-$2.5');
    expect(axisUsd(0.05)).toBe('$0.050');
    expect(axisUsd(1_250_000)).toBe('$1.25M');
  });
});
