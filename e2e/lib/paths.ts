/** Where the end-to-end tests read the repository and write screenshots, logs and results. */
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const OUT_DIR = join(ROOT, 'test-output', 'e2e');
export const LOG_DIR = join(OUT_DIR, 'logs');
export const EXAMPLES = join(ROOT, 'examples');
