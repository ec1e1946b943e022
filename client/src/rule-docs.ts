/**
 * The rule pages shipped in the .vsix (`docs/rules/<id>.md`): which rules the catalogue lists, and the page
 * file for an id. No `vscode` import, so tests read the same pages the command opens.
 */
import { existsSync } from 'node:fs';
import { ruleDocsPath } from '../../core/src/rules/rule-docs';

export interface CatalogueEntry {
  id: string;
  /** The catalogue's "What it checks" cell, shown beside the id in the quick pick. */
  checks: string;
}

/** The rules table of `docs/rules/README.md`: rows `| [id](id.md) | severity | what it checks | fix |`. */
export function ruleCatalogue(readme: string): CatalogueEntry[] {
  const rows = readme.matchAll(/^\|\s*\[([a-z][a-z-]*)\]\(\1\.md\)\s*\|[^|\n]*\|([^|\n]*)\|/gm);
  return [...rows].map((m) => ({ id: m[1]!, checks: m[2]!.trim() }));
}

/**
 * The page for `ruleId` under the extension folder, or undefined for anything that is not a shipped rule page:
 * the id arrives in a `command:` link, so it is checked to be a plain rule name before it becomes a path.
 */
export function rulePage(extensionRoot: string, ruleId: unknown): string | undefined {
  if (typeof ruleId !== 'string' || !/^[a-z][a-z-]*$/.test(ruleId)) return undefined;
  const page = ruleDocsPath(extensionRoot, ruleId);
  return existsSync(page) ? page : undefined;
}
