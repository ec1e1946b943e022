/**
 * Rewrites the generated table of docs/audit-findings.md from core/src/report/finding-codes.ts.
 * Run: `npx tsx scripts/write-finding-docs.ts` (core/test/report/finding-codes.test.ts says when it is due).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/src/files/atomic-write';
import { FINDINGS_PAGE, withFindingTable } from '../core/src/report/finding-codes';

const page = join(__dirname, '..', FINDINGS_PAGE);
writeFileAtomic(page, withFindingTable(readFileSync(page, 'utf8')));
console.log(`wrote the finding-code table of ${page}`);
