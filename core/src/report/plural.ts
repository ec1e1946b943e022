/** A count with its noun: "1 model", "2 models", "0 checks"; `many` for a noun that does not take an s. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
