export { allRules } from './all-rules';
export type { Finding, FixData, RelatedInfo, RuleModule, Severity, TextEdit, TextRange } from './rule';
export { lintFile, type LintOptions, type RuleSetting, parseSuppressions } from './run-rules';
export { SourceText } from './source-text';
