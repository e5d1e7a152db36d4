/**
 * axe-core (the accessibility engine browsers' own audits use) run in a page under test: the
 * library is evaluated over the DevTools protocol, which the console's CSP (no inline script)
 * does not govern, so the page is checked exactly as users get it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

export interface AxeProblem {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** What axe found: the serious and critical violations, and how many rules passed (never 0). */
export interface AxeResult {
  serious: AxeProblem[];
  all: AxeProblem[];
  passedRules: number;
}

/** The page's accessibility check by WCAG 2.x A and AA and axe's best practices. */
export async function axeCheck(page: Page): Promise<AxeResult> {
  await page.evaluate(AXE_SOURCE);
  const { violations, passes } = (await page.evaluate(async () => {
    const scope = globalThis as unknown as {
      axe: { run: (...args: unknown[]) => Promise<unknown> };
      document: unknown;
    };
    const result = (await scope.axe.run(scope.document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
      resultTypes: ['violations'],
    })) as {
      violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
      passes: unknown[];
    };
    return {
      passes: result.passes.length,
      violations: result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      })),
    };
  })) as { violations: AxeProblem[]; passes: number };
  return {
    serious: violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    all: violations,
    passedRules: passes,
  };
}
