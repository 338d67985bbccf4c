import type { Io, Parsed } from './command.ts';

/** The `--json` flag every listing command takes. */
export const jsonOption = { json: { type: 'boolean' } } as const;
export const JSON_HELP = '  --json                JSON lines even on a terminal (the default when piped)';

/** Whether `stream` is a terminal (a person reads it) rather than a pipe or a file (a program does). */
export function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** Lists print as a table for a person at a terminal, and as JSON lines for programs (or with `--json`). */
export function wantsTable(parsed: Parsed, io: Io): boolean {
  return parsed.values.json !== true && isTerminal(io.stdout);
}

/** Prints a value as one JSON line. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A table cell: text shown as is; numbers right-aligned; null and undefined as `-`. */
export type Cell = string | number | boolean | null | undefined;

const show = (cell: Cell) => (cell === null || cell === undefined ? '-' : typeof cell === 'boolean' ? (cell ? 'yes' : 'no') : String(cell));

/** Longest a cell is shown before it is cut (values can be large). */
const MAX_CELL = 60;

function cut(text: string): string {
  const flat = text.replace(/[\r\n\t]/g, ' ');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

/** Prints rows under upper-case headings, columns padded to their widest cell (numbers aligned right). */
export function printTable(io: Io, headings: string[], rows: Cell[][]): void {
  const text = rows.map((row) => row.map((cell) => cut(show(cell))));
  const widths = headings.map((h, i) => Math.max(h.length, ...text.map((row) => row[i]?.length ?? 0)));
  const numeric = headings.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number'));
  const line = (cells: string[], heading: boolean) =>
    cells
      .map((cell, i) => (numeric[i] && !heading ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  io.stdout.write(`${line(headings.map((h) => h.toUpperCase()), true)}\n`);
  for (const row of text) io.stdout.write(`${line(row, false)}\n`);
}

/** Prints `items` as a table on a terminal, else each as a JSON line. */
export function printList<T>(
  parsed: Parsed,
  io: Io,
  items: T[],
  headings: string[],
  row: (item: T) => Cell[],
): void {
  if (wantsTable(parsed, io)) printTable(io, headings, items.map(row));
  else for (const item of items) printJson(io, item);
}
