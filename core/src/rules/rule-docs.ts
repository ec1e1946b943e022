/**
 * Where a rule's page lives: `docs/rules/<id>.md`, shipped in the .vsix and the checkout. The project has no
 * public web page to link to, so links point at that file (or, in VS Code, at a command that previews it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The VS Code command that opens a rule's page in the markdown preview (argument: the rule id). */
export const SHOW_RULE_DOCS = 'lipschitzLens.showRuleDocs';

/** A `command:` link running SHOW_RULE_DOCS for `ruleId`, as VS Code's hover and Problems panel open it. */
export function showRuleDocsUri(ruleId: string): string {
  return `command:${SHOW_RULE_DOCS}?${encodeURIComponent(JSON.stringify([ruleId]))}`;
}

export function ruleDocsPath(docsRoot: string, ruleId: string): string {
  return join(docsRoot, 'docs', 'rules', `${ruleId}.md`);
}

/**
 * The folder holding `docs/rules`, searched upward from `from` (a bundle in `dist/<part>/`, or a source file
 * two or three folders down): undefined when the docs are not there, so a caller links nothing rather than a
 * file that does not exist.
 */
export function findDocsRoot(from: string): string | undefined {
  let dir = from;
  for (let up = 0; up < 4; up++) {
    if (existsSync(join(dir, 'docs', 'rules', 'README.md'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/** A rule's page text, or undefined when it is not shipped next to this code. */
export function readRuleDocs(docsRoot: string | undefined, ruleId: string): string | undefined {
  if (docsRoot === undefined) return undefined;
  try {
    return readFileSync(ruleDocsPath(docsRoot, ruleId), 'utf8');
  } catch {
    return undefined;
  }
}
