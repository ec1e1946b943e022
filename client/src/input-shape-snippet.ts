/**
 * The server's "Add @inputShape" edit writes `[n]` where nothing in the code gives the shape (plain LSP edits
 * have no snippets); in VS Code that placeholder becomes a tab stop the user types over. Pure, for the test.
 */
import { SHAPE_PLACEHOLDER } from '../../core/src/protocol/lsp';

const PLACEHOLDER = `@inputShape [${SHAPE_PLACEHOLDER}]`;

/** The snippet text for an edit holding the placeholder tag; undefined for any other edit. */
export function inputShapeSnippet(newText: string): string | undefined {
  if (!newText.includes(PLACEHOLDER)) return undefined;
  // Everything but the placeholder is literal: escape the snippet syntax's own characters.
  const escaped = newText.replace(/[$}\\]/g, (c) => `\\${c}`);
  return escaped.replace(PLACEHOLDER, `@inputShape [\${1:${SHAPE_PLACEHOLDER}}]`);
}
