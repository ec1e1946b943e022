/** SARIF 2.1.0 output, for GitHub code scanning and other CI viewers. */
import { pathToFileURL } from 'node:url';
import { relative, sep } from 'node:path';
import type { FixData, RuleModule, Severity } from '../rules';
import type { FileResult } from './formatters';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, SarifLevel> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
  hint: 'note',
};

interface Region {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

function region(range: {
  start: { line: number; character: number };
  end: { line: number; character: number };
}): Region {
  return {
    startLine: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

function artifact(path: string, cwd: string): { uri: string; uriBaseId: string } {
  return { uri: relative(cwd, path).split(sep).join('/'), uriBaseId: 'SRCROOT' };
}

function sarifFix(fix: FixData, filePath: string, cwd: string): object {
  return {
    description: { text: fix.title },
    artifactChanges: [
      {
        artifactLocation: artifact(filePath, cwd),
        replacements: fix.edits.map((e) => ({
          deletedRegion: region(e.range),
          insertedContent: { text: e.newText },
        })),
      },
    ],
  };
}

/**
 * `ruleHelp` gives a rule's page (markdown) for `help`: the project has no public page for `helpUri`, so the
 * viewer shows the shipped page's text instead; a rule without one gets neither.
 */
export function formatSarif(
  results: readonly FileResult[],
  rules: Readonly<Record<string, RuleModule>>,
  cwd: string,
  version: string,
  ruleHelp: (ruleId: string) => string | undefined,
): string {
  const ruleIds = Object.keys(rules);
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'lipschitz-lens',
            version,
            rules: ruleIds.map((id) => {
              const rule = rules[id]!;
              const help = ruleHelp(id);
              return {
                id,
                name: id,
                shortDescription: { text: rule.meta.docs.description },
                ...(help !== undefined ? { help: { text: help, markdown: help } } : {}),
                defaultConfiguration: { level: LEVEL[rule.meta.defaultSeverity] },
              };
            }),
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: `${pathToFileURL(cwd).href}/` } },
        // What the analysis gave up on (a file it did not read whole) is a note about the run, not a result.
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: results.flatMap((r) =>
              r.notAnalysed
                ? [
                    {
                      level: 'note',
                      message: { text: r.notAnalysed.message },
                      locations: [
                        {
                          physicalLocation: {
                            artifactLocation: artifact(r.filePath, cwd),
                            region: region({ start: r.notAnalysed.at, end: r.notAnalysed.at }),
                          },
                        },
                      ],
                    },
                  ]
                : [],
            ),
          },
        ],
        results: results.flatMap((r) =>
          r.findings.map((f) => ({
            ruleId: f.ruleId,
            ruleIndex: ruleIds.indexOf(f.ruleId),
            level: LEVEL[f.severity],
            message: { text: f.message },
            locations: [
              { physicalLocation: { artifactLocation: artifact(r.filePath, cwd), region: region(f.range) } },
            ],
            ...(f.related.length > 0
              ? {
                  relatedLocations: f.related.map((rel, i) => ({
                    id: i,
                    message: { text: rel.message },
                    physicalLocation: {
                      artifactLocation: artifact(rel.range.file, cwd),
                      region: region(rel.range),
                    },
                  })),
                }
              : {}),
            ...(f.fix ? { fixes: [sarifFix(f.fix, r.filePath, cwd)] } : {}),
          })),
        ),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
