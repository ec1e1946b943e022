/**
 * `lipschitz-lens/analysis`: the static half, with no tfjs and no VS Code: extraction to the model IR, the
 * rules and the bound calculus. The language server and the CLI are built on it.
 */
export * from './ir/model-ir';
export { extractSource, ModelExtractor } from './extract';
export * from './rules';
export * from './bounds';
