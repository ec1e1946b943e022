/**
 * An error for the log: its stack when it has one. A module of its own so the server's request thread can log
 * without loading the Engine (the parser and the extractor live on the analysis thread).
 */
export function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
