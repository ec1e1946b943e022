/**
 * node:util parseArgs, with its errors as usage errors (exit 2) in the CLI's words: `unknown option '--x'`,
 * `--x needs a value`, `--x takes no value`, `unexpected argument 'y'`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io';

export interface CliArgsConfig extends ParseArgsConfig {
  /**
   * Whether an option's value given as the next argument may start with a dash (`--budget -1`, left to the
   * command's own check of the number). Otherwise it is taken as a missing value, as in Node's strict mode.
   */
  valuesMayStartWithDash?: boolean;
}

export function parseCliArgs<T extends CliArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const { valuesMayStartWithDash = false, ...parseConfig } = config;
  let parsed: ReturnType<typeof parseArgs<ParseArgsConfig>>;
  try {
    // Not strict: the tokens are checked below, so that a dash-led value can be allowed and each error is worded once.
    parsed = parseArgs({ ...parseConfig, strict: false, tokens: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const options = config.options ?? {};
  for (const token of parsed.tokens ?? []) {
    if (token.kind === 'positional' && config.allowPositionals !== true)
      throw new UsageError(`unexpected argument '${token.value}'`);
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (option === undefined) throw new UsageError(`unknown option '${token.rawName}'`);
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
    } else if (
      token.value === undefined ||
      (!token.inlineValue && !valuesMayStartWithDash && token.value.startsWith('-'))
    ) {
      throw new UsageError(`${token.rawName} needs a value`);
    }
  }
  // Checked above: every option is declared, strings have a value and booleans none, as strict mode ensures.
  return parsed as unknown as ReturnType<typeof parseArgs<T>>;
}
