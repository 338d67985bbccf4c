import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractExamples, matchesExpected } from './extract.ts';

const README = [
  '# Title',
  '',
  '```sh',
  'npm start                         # the runner starts the server',
  'curl -s localhost:8080/healthz    # {"status":"ok"}',
  "curl -s -XPOST localhost:8080/x -d '{",
  '  "a": "# not a comment"}\'        # prose, not output',
  'echo one \\',
  '  two',
  '# 400 {"error":{"code":"X",',
  '#   "message":"…"}}',
  '',
  '# a comment that is prose',
  'true',
  "printf 'a: b\\n'",
  '# > a: b',
  '```',
  '',
  '<!-- example: skip (needs Kafka) -->',
  '```sh',
  'npm run kafka:up',
  '```',
  '',
  '  ```sh',
  '  curl -s localhost:8080/admin/dlq   # […] (the dead-letter topics)',
  '  ```',
  '',
  '```ts',
  'const x = 1;',
  '```',
].join('\n');

describe('README example extraction', () => {
  it('finds sh blocks, joins continued commands, skips marked blocks and server starts, and reads expected output', () => {
    const examples = extractExamples(README);
    assert.deepEqual(
      examples.map((e) => [e.line, e.skip]),
      [
        [3, false],
        [20, true],
        [24, false],
      ],
    );
    assert.deepEqual(examples[0].commands, [
      { line: 5, text: 'curl -s localhost:8080/healthz', expected: '{"status":"ok"}' },
      { line: 6, text: 'curl -s -XPOST localhost:8080/x -d \'{\n  "a": "# not a comment"}\'' },
      { line: 8, text: 'echo one \\\n  two', expected: '400 {"error":{"code":"X",\n  "message":"…"}}' },
      { line: 14, text: 'true' },
      { line: 15, text: "printf 'a: b\\n'", expected: 'a: b' },
    ]);
    assert.deepEqual(examples[2].commands, [{ line: 25, text: 'curl -s localhost:8080/admin/dlq', expected: '[…]' }]);
  });

  it('matches output with … as anything, whitespace ignored and a leading status for the reader only', () => {
    assert.ok(matchesExpected('{"a":1,"b":[2, 3]}', '{"a":1,…}'));
    assert.ok(matchesExpected('{"error":{"code":"X","message":"bad"}}', '400 {"error": {"code":"X",\n "message":"…"}}'));
    assert.ok(!matchesExpected('{"a":2}', '{"a":1}'));
    assert.ok(!matchesExpected('{"a":1} trailing', '{"a":1}'), 'the whole output must match');
    assert.ok(!matchesExpected('[]', '[{…}]'));
  });
});
