/** Decides whether a workspace uses TensorFlow.js, from its package.json files. Pure: tested directly. */

const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/** True when the manifest depends on any `@tensorflow/tfjs*` package or on this project's layers. */
export function manifestUsesTfjs(text: string): boolean {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    return false; // a broken package.json is not evidence either way; other manifests may decide
  }
  if (typeof manifest !== 'object' || manifest === null) return false;
  for (const field of DEP_FIELDS) {
    const deps = (manifest as Record<string, unknown>)[field];
    if (typeof deps !== 'object' || deps === null) continue;
    if (Object.keys(deps).some((name) => name.startsWith('@tensorflow/tfjs') || name === 'lipschitz-lens')) {
      return true;
    }
  }
  return false;
}
