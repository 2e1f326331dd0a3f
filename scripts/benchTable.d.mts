/** One row of a bench table as parseBenchTable reads it back. */
export interface ParsedBenchRow {
  name: string;
  measured: string;
  target: string;
  baseline: string;
  ok: boolean;
}

export declare const AB_PREFIX: string;
export declare function parseBenchTable(text: string): ParsedBenchRow[];
export declare function mdCell(value: unknown): string;
export declare function joinBenchTables(before: ParsedBenchRow[], after: ParsedBenchRow[], labels: { before: string; after: string }): string;
