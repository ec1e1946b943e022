/**
 * Text the parser can take. TypeScript's parser recurses once per nesting level, so a few hundred nested calls,
 * arrays or arrow functions overflow the stack and the file would give nothing at all. When that happens, the
 * text is scanned (the scanner does not recurse) and whatever lies deeper than a limit is blanked out, keeping
 * every line and column where it was, so the rest of the file is parsed and analysed; each blanked region is
 * reported so the editor can say what was not read.
 */
import { ts } from 'ts-morph';

/** A blanked region of the text, as offsets. */
export interface Cut {
  start: number;
  end: number;
}

/** Tokens that open a right-nested construct the parser recurses into: `a ? b : c ? ...`, `!!!x`, `() => () =>`. */
const NESTING_OPERATORS = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.EqualsGreaterThanToken,
  ts.SyntaxKind.QuestionToken,
  ts.SyntaxKind.ExclamationToken,
  ts.SyntaxKind.TildeToken,
  ts.SyntaxKind.DotDotDotToken,
  ts.SyntaxKind.AsteriskAsteriskToken,
  ts.SyntaxKind.TypeOfKeyword,
  ts.SyntaxKind.VoidKeyword,
  ts.SyntaxKind.DeleteKeyword,
  ts.SyntaxKind.AwaitKeyword,
  ts.SyntaxKind.NewKeyword,
  ts.SyntaxKind.ElseKeyword,
]);

/** Operators whose operand follows them: a cut there keeps the operator and puts `0` in the operand's place. */
const PREFIX_LIKE = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.EqualsGreaterThanToken,
  ts.SyntaxKind.ExclamationToken,
  ts.SyntaxKind.TildeToken,
  ts.SyntaxKind.DotDotDotToken,
  ts.SyntaxKind.TypeOfKeyword,
  ts.SyntaxKind.VoidKeyword,
  ts.SyntaxKind.DeleteKeyword,
  ts.SyntaxKind.AwaitKeyword,
  ts.SyntaxKind.NewKeyword,
  ts.SyntaxKind.PlusToken,
  ts.SyntaxKind.MinusToken,
  ts.SyntaxKind.PlusPlusToken,
  ts.SyntaxKind.MinusMinusToken,
]);

const CLOSER: Partial<Record<ts.SyntaxKind, ts.SyntaxKind>> = {
  [ts.SyntaxKind.OpenParenToken]: ts.SyntaxKind.CloseParenToken,
  [ts.SyntaxKind.OpenBracketToken]: ts.SyntaxKind.CloseBracketToken,
  [ts.SyntaxKind.OpenBraceToken]: ts.SyntaxKind.CloseBraceToken,
  // `${` of a template: closed by the `}` the scanner reads again as the template's continuation.
  [ts.SyntaxKind.TemplateHead]: ts.SyntaxKind.CloseBraceToken,
};

/** Tokens after which an operand has ended, so `/` divides and `-` is binary. */
function endsOperand(kind: ts.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.Identifier ||
    kind === ts.SyntaxKind.CloseParenToken ||
    kind === ts.SyntaxKind.CloseBracketToken ||
    kind === ts.SyntaxKind.CloseBraceToken ||
    kind === ts.SyntaxKind.ThisKeyword ||
    kind === ts.SyntaxKind.SuperKeyword ||
    kind === ts.SyntaxKind.TrueKeyword ||
    kind === ts.SyntaxKind.FalseKeyword ||
    kind === ts.SyntaxKind.NullKeyword ||
    (kind >= ts.SyntaxKind.FirstLiteralToken && kind <= ts.SyntaxKind.LastLiteralToken) ||
    kind === ts.SyntaxKind.TemplateTail
  );
}

interface Frame {
  closer: ts.SyntaxKind;
  /** Nesting operators met at this bracket level since its last `,` or `;`. */
  nested: number;
}

/** Frames opened by `${`, whose `}` the scanner must read again as the template's continuation. */
const templateFrames = new WeakSet<Frame>();

/**
 * The text with everything nested deeper than `limit` blanked (brackets and the operators above both count a
 * level), and where it was blanked. Newlines stay, so positions in the rest of the file do not move.
 */
export function flattenDeepNesting(
  text: string,
  limit: number,
  variant: ts.LanguageVariant = ts.LanguageVariant.Standard,
): { text: string; cuts: Cut[] } {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, variant, text);
  const frames: Frame[] = [];
  let depth = 0;
  const cuts: Cut[] = [];
  /** The cut being made: it ends when frame `frame` closes, or (`atSeparator`) at a `,`/`;` on that frame. */
  let open: { start: number; frame: number; atSeparator: boolean } | undefined;
  const close = (end: number): void => {
    if (open && end > open.start) cuts.push({ start: open.start, end });
    open = undefined;
  };
  let prev = ts.SyntaxKind.Unknown;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && !endsOperand(prev))
      kind = scanner.reScanSlashToken();
    // The `}` that ends a template substitution continues the template.
    const top = frames[frames.length - 1];
    if (kind === ts.SyntaxKind.CloseBraceToken && top && templateFrames.has(top))
      kind = scanner.reScanTemplateToken(false);
    const start = scanner.getTokenStart();
    const closer = CLOSER[kind];
    if (closer !== undefined) {
      const frame: Frame = { closer, nested: 0 };
      if (kind === ts.SyntaxKind.TemplateHead) templateFrames.add(frame);
      frames.push(frame);
      depth++;
      if (!open && depth > limit)
        open = { start: scanner.getTokenEnd(), frame: frames.length - 1, atSeparator: false };
    } else if (
      kind === ts.SyntaxKind.CloseParenToken ||
      kind === ts.SyntaxKind.CloseBracketToken ||
      kind === ts.SyntaxKind.CloseBraceToken ||
      kind === ts.SyntaxKind.TemplateMiddle ||
      kind === ts.SyntaxKind.TemplateTail
    ) {
      const closes =
        kind === ts.SyntaxKind.TemplateMiddle || kind === ts.SyntaxKind.TemplateTail
          ? ts.SyntaxKind.CloseBraceToken
          : kind;
      // An unbalanced closer (broken code) closes the nearest frame it matches, or nothing.
      let at = frames.length - 1;
      while (at >= 0 && frames[at]!.closer !== closes) at--;
      if (at >= 0) {
        if (open && open.frame >= at) close(start);
        while (frames.length > at) depth -= 1 + frames.pop()!.nested;
      }
      if (kind === ts.SyntaxKind.TemplateMiddle) {
        const frame: Frame = { closer: ts.SyntaxKind.CloseBraceToken, nested: 0 };
        templateFrames.add(frame);
        frames.push(frame);
        depth++;
      }
    } else if (
      kind === ts.SyntaxKind.CommaToken ||
      kind === ts.SyntaxKind.SemicolonToken ||
      startsStatement(kind, prev)
    ) {
      if (open?.atSeparator && open.frame === frames.length - 1) close(start);
      const here = frames[frames.length - 1];
      if (here) {
        depth -= here.nested;
        here.nested = 0;
      } else depth = 0;
    } else if (isNestingOperator(kind, prev)) {
      const here = frames[frames.length - 1];
      if (here) here.nested++;
      depth++;
      if (!open && depth > limit) {
        // Keep the operator when its operand follows it (`() => 0`), else cut before it (`a ? b` ends at `b`).
        const keep = PREFIX_LIKE.has(kind);
        open = { start: keep ? scanner.getTokenEnd() : start, frame: frames.length - 1, atSeparator: true };
      }
    }
    prev = kind;
  }
  if (open) close(text.length);
  return { text: blank(text, cuts), cuts };
}

/**
 * Keywords that only begin a statement, so a chain before them has ended even without a `;`: the last
 * `else {}` of a chain, then `export const ...`.
 */
const STATEMENT_KEYWORDS = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.ExportKeyword,
  ts.SyntaxKind.ConstKeyword,
  ts.SyntaxKind.LetKeyword,
  ts.SyntaxKind.VarKeyword,
  ts.SyntaxKind.ReturnKeyword,
  ts.SyntaxKind.ThrowKeyword,
  ts.SyntaxKind.ForKeyword,
  ts.SyntaxKind.WhileKeyword,
  ts.SyntaxKind.DoKeyword,
  ts.SyntaxKind.SwitchKeyword,
  ts.SyntaxKind.TryKeyword,
  ts.SyntaxKind.IfKeyword,
]);

function startsStatement(kind: ts.SyntaxKind, prev: ts.SyntaxKind): boolean {
  // `else if` continues a chain; after `.` a keyword is a property name.
  if (!STATEMENT_KEYWORDS.has(kind) || prev === ts.SyntaxKind.DotToken) return false;
  return kind !== ts.SyntaxKind.IfKeyword || prev !== ts.SyntaxKind.ElseKeyword;
}

function isNestingOperator(kind: ts.SyntaxKind, prev: ts.SyntaxKind): boolean {
  if (NESTING_OPERATORS.has(kind)) return true;
  if (kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment) return true;
  // `- - - x`: prefix minus and plus nest; binary ones do not (the parser loops over them).
  return PREFIX_LIKE.has(kind) && !endsOperand(prev);
}

/** Spaces in place of each cut, `0` as the first one where an operand was cut, newlines kept. */
function blank(text: string, cuts: Cut[]): string {
  if (cuts.length === 0) return text;
  let out = '';
  let from = 0;
  for (const c of cuts) {
    out += text.slice(from, c.start);
    const region = text.slice(c.start, c.end).replace(/[^\n\r\u2028\u2029]/g, ' ');
    out += needsOperand(text, c.start) ? `0${region.slice(1)}` : region;
    from = c.end;
  }
  return out + text.slice(from);
}

/** Whether the cut starts where an operand was expected (after `=>`, `!`, `(` ...). */
function needsOperand(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && /\s/.test(text[i]!)) i--;
  if (i < 0) return false;
  const ch = text[i]!;
  if (/[\w$]/.test(ch))
    return /\b(typeof|void|delete|await|new)$/.test(text.slice(Math.max(0, i - 6), i + 1));
  return ch === '>' || ch === '!' || ch === '~' || ch === '.' || ch === '-' || ch === '+';
}
