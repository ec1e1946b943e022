/** A count with its noun, which takes an s unless the count is 1: "1 model", "2 models", "0 checks". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
