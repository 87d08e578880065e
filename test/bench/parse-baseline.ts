// The CPU scenario's baseline: the least any YAML-preserving tool must do with the input, namely
// start node, load js-yaml, read the file and walk js-yaml's event stream once.
// Usage: node dist/test/bench/parse-baseline.js FILE

import { readFileSync } from 'node:fs';
import { parseEvents } from 'js-yaml';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: parse-baseline FILE\n');
  process.exit(2);
}
const text = readFileSync(file, 'utf8');
// Printing the count keeps the result alive.
process.stdout.write(`${parseEvents(text, {}).length}\n`);
