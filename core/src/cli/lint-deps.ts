/** The rule-side pieces the lint command needs, in one import. */
import { SEVERITIES } from '../rules/rule';

export { allRules, type Finding, lintFile, mergeFindings, RuleConfigError, type RuleSetting } from '../rules';

export const SEVERITIES_WITH_OFF: readonly string[] = ['off', ...SEVERITIES];
