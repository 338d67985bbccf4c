/**
 * The runnable examples of a README: every fenced `sh` block, command by command, with the output the README
 * promises for each.
 *
 * - A block right after `<!-- example: skip (why) -->` is not run (it needs Kafka, starts a server of its own, or
 *   is a synopsis).
 * - `localhost:8080` (HTTP) and `127.0.0.1:9192` (the Kafka listener) stand for the server the runner started.
 * - A command is a line, or several joined by a trailing `\` or by an open quote. `npm start …` lines are not run:
 *   the runner starts the server the README's reader would.
 * - A comment holding JSON (`# {…}`, `# […]`, optionally after an HTTP status: `# 400 {…}`), trailing the command
 *   or on the lines right after it, is its expected output; following comment lines continue it. `…` stands for
 *   anything, whitespace does not count, and the status is for the reader (curl -s prints only the body). Other
 *   comments are prose; a remark in parentheses after the JSON is not output. Output that is not JSON is written as a transcript, `# > ` before each line.
 */

/** One command of an example, and what it must print (if the README says). */
export interface ExampleCommand {
  /** 1-based line in the README where the command starts. */
  line: number;
  text: string;
  expected?: string;
}

/** One fenced `sh` block. */
export interface Example {
  line: number;
  skip: boolean;
  commands: ExampleCommand[];
}

const FENCE = /^(\s*)```(\S*)\s*$/;
const SKIP = /^<!--\s*example:\s*skip\b.*-->\s*$/;
const EXPECTED = /^((\d{3}\s+)?[[{]|> )/;
/**
 * A transcript line's text (`> text`), or the comment as it is less a closing remark in parentheses after JSON
 * (`# {…} (replaces the task)`).
 */
const output = (comment: string) =>
  comment.startsWith('>') ? comment.replace(/^> ?/, '') : comment.replace(/([}\]])\s+\([^()]*\)\s*$/, '$1');
const SERVER_START = /^(npm install && )?npm start\b/;

/** The `sh` blocks of a README, in order. */
export function extractExamples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    if (open[2] === 'sh') {
      let previous = i - 1;
      while (previous >= 0 && lines[previous].trim() === '') previous--;
      const body = lines.slice(i + 1, end).map((line) => line.slice(Math.min(indent, line.search(/\S|$/))));
      examples.push({
        line: i + 1,
        skip: previous >= 0 && SKIP.test(lines[previous].trim()),
        commands: parseBlock(body, i + 2),
      });
    }
    i = end;
  }
  return examples;
}

/** The commands of a block whose first line is README line `firstLine`. */
export function parseBlock(lines: string[], firstLine: number): ExampleCommand[] {
  const commands: ExampleCommand[] = [];
  let pending: { line: number; text: string } | undefined;
  let expecting: ExampleCommand | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (pending === undefined) {
      const trimmed = raw.trim();
      if (trimmed === '') {
        expecting = undefined;
        continue;
      }
      if (trimmed.startsWith('#')) {
        const comment = trimmed.replace(/^#\s?/, '');
        const last = commands.at(-1);
        if (expecting) expecting.expected += `\n${output(comment)}`;
        else if (last && last.expected === undefined && EXPECTED.test(comment)) {
          last.expected = output(comment);
          expecting = last;
        }
        continue;
      }
      expecting = undefined;
      pending = { line: firstLine + i, text: '' };
    }
    const { code, comment, openQuote } = splitComment(pending.text === '' ? raw : `${pending.text}\n${raw}`);
    if (openQuote || /\\$/.test(code)) {
      pending.text = pending.text === '' ? raw : `${pending.text}\n${raw}`;
      continue;
    }
    const command: ExampleCommand = { line: pending.line, text: code.trimEnd() };
    pending = undefined;
    if (SERVER_START.test(command.text)) continue;
    if (comment !== undefined && EXPECTED.test(comment)) {
      command.expected = output(comment);
      expecting = command;
    }
    commands.push(command);
  }
  return commands;
}

/** A shell line split at its trailing comment (a `#` after whitespace, outside quotes). */
function splitComment(text: string): { code: string; comment?: string; openQuote: boolean } {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      return { code: text.slice(0, i), comment: text.slice(i + 1).trim(), openQuote: false };
    }
  }
  return { code: text, openQuote: quote !== undefined };
}

/** Whether `output` is what `expected` promises: `…` is anything, whitespace does not count, a status is ignored. */
export function matchesExpected(output: string, expected: string): boolean {
  const squash = (s: string) => s.replace(/\s+/g, '');
  const pattern = squash(expected.replace(/^\d{3}\s+/, ''))
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(squash(output));
}
