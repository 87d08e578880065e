import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandedSize, parseYamlStream, YamlSyntaxError } from '../../src/krm/yaml-documents.js';
import { nodeEnd } from '../../src/krm/splice.js';
import type { NodeId, YamlTree } from '../../src/krm/yaml-tree.js';

function parseOne(text: string): { tree: YamlTree; root: NodeId } {
  const { tree, documents } = parseYamlStream(text);
  const root = documents[0]?.root;
  assert.ok(root !== undefined, 'one document with a root');
  return { tree, root };
}

function at(tree: YamlTree, root: NodeId, ...path: Array<string | number>): NodeId {
  let node: NodeId | undefined = root;
  for (const step of path) node = typeof step === 'number' ? tree.items(tree.deref(node as NodeId))[step] : tree.get(node, step);
  assert.ok(node !== undefined, `path ${path.join('.')}`);
  return node;
}

function text(tree: YamlTree, node: NodeId): string {
  return tree.source.slice(tree.startOf(node), nodeEnd(tree, node));
}

function syntaxError(text: string): YamlSyntaxError {
  try {
    parseYamlStream(text);
  } catch (error) {
    assert.ok(error instanceof YamlSyntaxError, String(error));
    return error;
  }
  assert.fail('expected a YamlSyntaxError');
}

describe('YamlTree navigation', () => {
  const source = [
    'kind: Deployment # comment',
    'spec:',
    '  containers:',
    '  - name: app',
    "    image: 'nginx:1.27'",
    '    args: [a, {b: c}]',
    '  - {name: side, image: "busybox"}',
    'empty: {}',
    '',
  ].join('\n');
  const { tree, root } = parseOne(source);

  it('finds values by key and skips whole subtrees between siblings', () => {
    assert.equal(tree.getString(root, 'kind'), 'Deployment');
    assert.equal(tree.kind(at(tree, root, 'spec')), 'map');
    assert.equal(tree.get(root, 'missing'), undefined);
    assert.equal(tree.getString(at(tree, root, 'spec', 'containers', 1), 'image'), 'busybox');
    assert.equal(tree.getString(at(tree, root, 'spec', 'containers', 0), 'image'), 'nginx:1.27');
    assert.deepEqual(tree.items(at(tree, root, 'spec', 'containers')).length, 2);
  });

  it('lists entries in document order and knows first and last children', () => {
    const keys: string[] = [];
    tree.forEachEntry(root, (key) => keys.push(tree.scalarValue(key)));
    assert.deepEqual(keys, ['kind', 'spec', 'empty']);
    assert.equal(tree.firstChild(at(tree, root, 'empty')), undefined);
    assert.equal(tree.lastChild(at(tree, root, 'empty')), undefined);
    assert.equal(tree.scalarValue(tree.firstChild(root) as NodeId), 'kind');
    assert.equal(tree.lastChild(root), at(tree, root, 'empty'));
  });

  it('gives source ranges with quotes and brackets, and parents', () => {
    assert.equal(text(tree, at(tree, root, 'spec', 'containers', 0, 'image')), "'nginx:1.27'");
    assert.equal(text(tree, at(tree, root, 'spec', 'containers', 0, 'args')), '[a, {b: c}]');
    assert.equal(text(tree, at(tree, root, 'spec', 'containers', 1)), '{name: side, image: "busybox"}');
    assert.equal(tree.isFlow(at(tree, root, 'spec', 'containers', 1)), true);
    assert.equal(tree.isFlow(at(tree, root, 'spec')), false);
    const containers = at(tree, root, 'spec', 'containers');
    assert.equal(tree.parent(at(tree, root, 'spec', 'containers', 1)), containers);
    assert.equal(tree.parent(root), undefined);
  });
});

describe('YamlTree aliases', () => {
  it('resolves an alias to the latest anchor of that name and records who points where', () => {
    const { tree, root } = parseOne('a: &x one\nb: &x two\nc: *x\nd: [*x]\n');
    const c = at(tree, root, 'c');
    assert.equal(tree.kind(c), 'alias');
    assert.equal(tree.scalarValue(tree.deref(c)), 'two');
    const two = at(tree, root, 'b');
    assert.deepEqual(tree.aliasesOf(two), [c, at(tree, root, 'd', 0)]);
    assert.deepEqual(tree.aliasesOf(at(tree, root, 'a')), []);
    assert.equal(tree.getString(root, 'c'), 'two');
  });

  it('follows aliases to mappings when looking keys up', () => {
    const { tree, root } = parseOne('base: &b {image: nginx}\nuse: *b\n');
    assert.equal(tree.getString(at(tree, root, 'use'), 'image'), 'nginx');
    assert.equal(tree.is(at(tree, root, 'use'), 'map'), true);
  });

  it('measures expansion without expanding, and calls a recursive alias infinite', () => {
    const laughs = ['a: &a [x, x]', 'b: &b [*a, *a]', 'c: &c [*b, *b]', 'd: [*c, *c]', ''].join('\n');
    const { tree, documents } = parseYamlStream(laughs);
    const [document] = documents;
    assert.ok(document !== undefined);
    assert.equal(document.hasAliases, true);
    assert.equal(document.nodeCount, 17);
    // Root 1, four keys, a 3, b 7, c 15, d 31.
    assert.equal(expandedSize(tree, document.root), 1 + 4 + 3 + 7 + 15 + 31);
    const recursive = parseYamlStream('a: &r [*r]\n');
    assert.equal(expandedSize(recursive.tree, recursive.documents[0]?.root), Number.POSITIVE_INFINITY);
  });
});

describe('parseYamlStream', () => {
  it('gives each document of a stream its root in one tree', () => {
    const { tree, documents } = parseYamlStream('a: 1\n---\n---\n- &x b\n- *x\n');
    assert.deepEqual(
      documents.map((d) => d.hasAliases),
      [false, false, true],
    );
    assert.equal(documents[1]?.root !== undefined && tree.kind(documents[1].root), 'scalar');
    assert.equal(tree.getString(documents[0]?.root, 'a'), '1');
  });

  it('refuses a duplicate key in a small mapping, at the second key', () => {
    const error = syntaxError('a: 1\nb: 2\n"a": 3\n');
    assert.match(error.message, /duplicate mapping key "a"/);
    assert.deepEqual([error.line, error.column], [3, 1]);
  });

  it('refuses a duplicate key in a large mapping (a key set instead of a scan)', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}: ${i}`);
    const error = syntaxError(`${[...keys, 'k17: again'].join('\n')}\n`);
    assert.match(error.message, /duplicate mapping key "k17"/);
    assert.equal(error.line, 41);
  });

  it('allows the same key in sibling mappings and reached through an alias key', () => {
    const { tree, root } = parseOne('x: {a: 1}\ny: {a: 2}\n? &k a\n: 3\n');
    assert.equal(tree.getString(at(tree, root, 'y'), 'a'), '2');
    assert.equal(tree.getString(root, 'a'), '3');
    assert.match(syntaxError('? &k a\n: 1\n*k : 2\n').message, /duplicate mapping key "a"/);
  });

  it('refuses an alias to an unknown anchor', () => {
    const error = syntaxError('a: 1\nb: *nope\n');
    assert.match(error.message, /unknown anchor "nope"/);
    assert.deepEqual([error.line, error.column], [2, 4]);
  });
});
