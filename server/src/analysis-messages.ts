/** Messages between the server and its analysis thread (analysis-thread.ts): plain data, structured-cloned. */
import type { AnalyzeOptions, FileAnalysis } from './engine';

export type ToAnalysisThread =
  | { type: 'analyze'; id: number; path: string; text: string; version: number; options: AnalyzeOptions }
  | { type: 'remove'; path: string }
  /** A call on the thread's checkpoint reader (`setRoots`, ...), whatever it offers. */
  | { type: 'checkpoints'; method: string; args: unknown[] };

export type FromAnalysisThread =
  | { type: 'analyzed'; id: number; analysis: FileAnalysis }
  | { type: 'failed'; id: number; message: string; detail: string }
  | { type: 'log'; level: 'error' | 'warn' | 'info'; message: string }
  | { type: 'checkpoint-settled'; path: string };
