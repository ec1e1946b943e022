export { allRules } from './all-rules';
export type { Finding, FixData, RelatedInfo, RuleModule, Severity, TextEdit, TextRange } from './rule';
export {
  checkRuleSetting,
  lintFile,
  mergeFindings,
  type LintOptions,
  type RuleSetting,
  parseSuppressions,
  RuleConfigError,
} from './run-rules';
export { SourceText } from './source-text';
