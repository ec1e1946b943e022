/**
 * Whether the language server should run, from the `lipschitzLens.activation` mode and (for `auto`) whether a
 * package.json depends on tfjs, and the words logged when it stays off. Pure (no vscode import): tested directly.
 */

export type Activation = 'auto' | 'always' | 'off';

export type ActivationDecision = { start: true } | { start: false; reason: 'off' | 'no-tfjs' };

/** `detect` scans the manifests; it is only called in `auto` mode, so `off` and `always` cost nothing. */
export async function decideActivation(
  mode: Activation,
  detect: () => Promise<boolean>,
): Promise<ActivationDecision> {
  if (mode === 'off') return { start: false, reason: 'off' };
  if (mode === 'always' || (await detect())) return { start: true };
  return { start: false, reason: 'no-tfjs' };
}

export function stayingOffMessage(reason: 'off' | 'no-tfjs'): string {
  return reason === 'off'
    ? 'lipschitzLens.activation is "off": the server stays off until the setting changes.'
    : 'No package.json here depends on @tensorflow/tfjs: the server stays off until one does.';
}
