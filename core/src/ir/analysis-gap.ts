/**
 * What the analysis of a file gave up on, when that cost it part of the file (a parse that overflowed, nesting
 * past the depth it follows, a file over the size cap, an internal error): a file the extractor gave up on must
 * not look clean, in the editor or in CI. Ordinary uncertainty (an unknown loop bound) is not a gap.
 */
import type { FileIr, Position } from './model-ir';

/** Notes that mean a part of the file was skipped, not merely read with unknowns. */
const PARTIAL =
  /^(Extraction failed|Skipped after an internal error|The file is too large|Nested (more than|too deeply))/;

export interface AnalysisGap {
  /** One line: what was not analysed and why. */
  message: string;
  /** Where the first skipped part starts in this file (the file's start when it lies elsewhere). */
  at: Position;
}

export function analysisGap(ir: FileIr): AnalysisGap | undefined {
  const lost = ir.notes.filter((n) => PARTIAL.test(n.message));
  const first = lost[0];
  if (first === undefined) return undefined;
  const more = lost.length > 1 ? ` (and ${lost.length - 1} more)` : '';
  return {
    message: `Lipschitz Lens did not analyse all of this file: ${first.message.replace(/\.$/, '')} (line ${first.range.start.line + 1})${more}.`,
    at: first.range.file === ir.file ? first.range.start : { line: 0, character: 0 },
  };
}
