import fc from 'fast-check';
import { validReferenceArb } from './reference-arbitraries.js';
import {
  Printer,
  type BlockScalarLeaf,
  type DecoyLeaf,
  type Entry,
  type Image,
  type ImageLeaf,
  type ImageStyle,
  type MapNode,
  type ResourceListDoc,
  type ScalarLeaf,
  type SeqNode,
  type Style,
  type YamlNode,
} from './yaml-printer.js';

// fast-check generators for the splice property tests: whole ResourceLists as
// YAML trees, printed by the Printer in yaml-printer.ts.

// ---------------------------------------------------------------------------
// The generators

const percent = (chance: number): fc.Arbitrary<boolean> => fc.noBias(fc.integer({ min: 0, max: 99 })).map((roll) => roll < chance);

/** `arbitrary` in `chance` percent of cases, else undefined. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, chance: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: chance, arbitrary }, { weight: 100 - chance, arbitrary: fc.constant(undefined) });

const styleArb = (flowChance: number): fc.Arbitrary<Style> =>
  fc.record({ flow: percent(flowChance), multiline: percent(40), indentless: fc.boolean(), trailingComma: percent(20) });

const SCALARS: readonly ScalarLeaf[] = [
  ...['3', '-1', '0755', '0x1F', '0o17', '1.5', '1e3', '.inf', '2024-01-02', '2001-12-14t21:59:43.10-05:00', 'true', 'False', 'on', 'yes', 'no', 'off', 'null', '~', 'hello', 'plain words', 'héllo', '日本語', '🚀 astral 𝄞', 'http://x.y/z', 'a#b', 'nginx:1.27', '!!str 0755', '! 12', '"quoted, with: colon"', "'it''s'", '"esc\\t\\u00e9 \\"q\\""', '"#not-a-comment"', "'busybox:1.36'", '""', "''"].map(
    (text): ScalarLeaf => ({ kind: 'scalar', text }),
  ),
  { kind: 'scalar', text: '', flow: 'null' },
];
const scalarArb: fc.Arbitrary<ScalarLeaf> = fc.constantFrom(...SCALARS);

const blockScalarArb: fc.Arbitrary<BlockScalarLeaf> = fc
  .tuple(
    fc.constantFrom('|', '|-', '|+', '>', '>-', '>+', '|2-'),
    fc.constantFrom('line one', 'second: with colon', '# not a comment', 'image: nginx:1.27'),
    fc.array(fc.constantFrom('more', '  indented more', '', 'tail # text'), { maxLength: 3 }),
    fc.nat(2),
  )
  .map(([header, first, rest, blanks]) => ({
    kind: 'block',
    header,
    // `|2-` sets the indentation, so its first line may start with spaces.
    lines: [header === '|2-' ? `  ${first}` : first, ...rest, ...(header.endsWith('+') ? Array<string>(blanks).fill('') : [])],
  }));

/** Keys for extra entries: never a name digester looks for (`spec`, `template`, `containers`, `image`…). */
const EXTRA_KEYS = ['note', 'labels', 'mode', 'size', 'enabled', 'created', 'ratio', 'owner', 'tags', 'args', 'ports', 'x-extra', 'weird key', '"quoted: key"', "'single'", 'imagePullPolicy', 'images', 'name2'];
const BEFORE = ['# a comment', '#', '# image: fake:1 # not an image', ''];

const beforeArb = fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.constantFrom(...BEFORE), { minLength: 1, maxLength: 2 }) });
const trailingArb = fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(' # trailing', '   #x', '\t# after a tab', ' # 🚀 astral') });

/** An entry; its key is sometimes quoted, which must not hide it (`"image": nginx` is an image field). */
const entry = (key: string, value: fc.Arbitrary<YamlNode>): fc.Arbitrary<Entry> =>
  fc.record({
    key: /^["']/.test(key) ? fc.constant(key) : fc.oneof({ weight: 8, arbitrary: fc.constant(key) }, fc.constant(`"${key}"`), fc.constant(`'${key}'`)),
    value,
    before: beforeArb,
    trailing: trailingArb,
  });

const { value: extraValueArb } = fc.letrec<{ value: YamlNode; map: MapNode; seq: SeqNode }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 16, arbitrary: scalarArb },
    { weight: 2, arbitrary: blockScalarArb },
    { weight: 1, arbitrary: fc.nat().map((pick): DecoyLeaf => ({ kind: 'decoy', pick })) },
    { weight: 2, arbitrary: tie('map') },
    { weight: 2, arbitrary: tie('seq') },
  ),
  map: fc
    .tuple(fc.uniqueArray(fc.constantFrom(...EXTRA_KEYS), { maxLength: 3 }), fc.array(tie('value'), { minLength: 3, maxLength: 3 }), styleArb(25), beforeArb)
    .map(([keys, values, style, before]) => ({
      kind: 'map',
      entries: keys.map((key, index) => ({ key, value: values[index] ?? SCALARS[0]!, before: index === 0 ? before : [], trailing: '' })),
      style,
    })),
  seq: fc.tuple(fc.array(tie('value'), { maxLength: 3 }), styleArb(25)).map(([items, style]) => ({ kind: 'seq', items, style })),
}));

const extrasArb = (max: number): fc.Arbitrary<Entry[]> =>
  fc.uniqueArray(fc.constantFrom(...EXTRA_KEYS), { maxLength: max }).chain((keys) => fc.tuple(...keys.map((key) => entry(key, extraValueArb))));

/** A map of the required entries and some extras, in a random order. */
const mapArb = (required: ReadonlyArray<fc.Arbitrary<Entry>>, extras: number, flowChance: number): fc.Arbitrary<MapNode> =>
  fc
    .tuple(fc.tuple(...required), extrasArb(extras), fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), styleArb(flowChance))
    .map(([fixed, more, order, style]) => {
      const all = [...fixed, ...more];
      const ranked = all.map((item, index) => ({ item, rank: order[index % order.length]! + index / 100 }));
      return { kind: 'map', entries: ranked.sort((a, b) => a.rank - b.rank).map(({ item }) => item), style };
    });

const seqArb = (item: fc.Arbitrary<YamlNode>, min: number, max: number, flowChance: number): fc.Arbitrary<SeqNode> =>
  fc.tuple(fc.array(item, { minLength: min, maxLength: max }), styleArb(flowChance)).map(([items, style]) => ({ kind: 'seq', items, style }));

const scalar = (text: string): fc.Arbitrary<ScalarLeaf> => fc.constant({ kind: 'scalar', text });

/** Sane images: lowercase, a few with a digest, a few with a tag the registry does not know. */
const imageArb: fc.Arbitrary<Image> = fc.tuple(validReferenceArb({ digestTenths: 2 }), percent(8)).map(([reference, missing]) => {
  const text = missing && reference.digest === undefined ? `${reference.name}:does-not-exist` : reference.text;
  const tag = text === reference.text ? reference.tag : 'does-not-exist';
  return {
    text,
    key: `${reference.registry}/${reference.repository}:${tag ?? 'latest'}`,
    hasDigest: reference.digest !== undefined,
    missing: tag === 'does-not-exist' && reference.digest === undefined,
  };
});

const imageLeafArb: fc.Arbitrary<ImageLeaf> = fc.record({
  kind: fc.constant('image' as const),
  image: imageArb,
  style: fc.constantFrom<ImageStyle>('plain', 'plain', 'single', 'double', 'escaped', 'multiline', 'literal', 'folded'),
  tag: fc.constantFrom<ImageLeaf['tag']>('', '', '', '!!str ', '! '),
  anchor: percent(20),
  alias: sometimes(fc.nat(), 15),
  noise: fc.nat(),
});

const containerArb = mapArb([entry('name', scalar('app')), entry('image', imageLeafArb)], 2, 30);
const volumeArb = fc.oneof(
  mapArb([entry('name', scalar('data')), entry('image', mapArb([entry('reference', imageLeafArb), entry('pullPolicy', scalar('IfNotPresent'))], 0, 40))], 1, 30),
  mapArb([entry('name', scalar('tmp')), entry('emptyDir', scalar('{}'))], 0, 30),
);
const podSpecArb = fc
  .tuple(
    seqArb(containerArb, 1, 3, 15),
    sometimes(seqArb(containerArb, 1, 2, 15), 40),
    sometimes(seqArb(containerArb, 1, 1, 15), 20),
    sometimes(seqArb(volumeArb, 1, 2, 15), 40),
  )
  .chain(([containers, initContainers, ephemeralContainers, volumes]) =>
    mapArb(
      [
        entry('containers', fc.constant(containers)),
        ...(initContainers === undefined ? [] : [entry('initContainers', fc.constant(initContainers))]),
        ...(ephemeralContainers === undefined ? [] : [entry('ephemeralContainers', fc.constant(ephemeralContainers))]),
        ...(volumes === undefined ? [] : [entry('volumes', fc.constant(volumes))]),
      ],
      2,
      10,
    ),
  );

const metadataArb = (local: boolean): fc.Arbitrary<MapNode> =>
  mapArb(
    [
      entry('name', fc.constantFrom('web', 'same', '"quoted-name"').map((text): ScalarLeaf => ({ kind: 'scalar', text }))),
      entry(
        'annotations',
        mapArb(
          [
            // Looks like an image, is not an image field.
            entry('image', scalar('nginx:1.27')),
            ...(local ? [entry('config.kubernetes.io/local-config', scalar('"true"'))] : []),
          ],
          1,
          30,
        ),
      ),
    ],
    1,
    30,
  );

interface GeneratedItem {
  readonly node: MapNode;
  readonly local: boolean;
}

const itemArb: fc.Arbitrary<GeneratedItem> = percent(8).chain((local) => {
  const resource = (apiVersion: string, kind: string, spec: fc.Arbitrary<YamlNode>): fc.Arbitrary<MapNode> =>
    mapArb([entry('apiVersion', scalar(apiVersion)), entry('kind', scalar(kind)), entry('metadata', metadataArb(local)), entry('spec', spec)], 1, 10);
  const template = mapArb([entry('metadata', mapArb([entry('labels', scalar('{app: web}'))], 0, 30)), entry('spec', podSpecArb)], 1, 10);
  return fc
    .oneof(
      resource('v1', 'Pod', podSpecArb),
      resource('apps/v1', 'Deployment', mapArb([entry('replicas', scalar('3')), entry('template', template)], 2, 10)),
      resource('batch/v1', 'CronJob', mapArb([entry('schedule', scalar('"*/5 * * * *"')), entry('jobTemplate', mapArb([entry('spec', mapArb([entry('template', template)], 1, 10))], 1, 10))], 1, 10)),
      mapArb([entry('apiVersion', scalar('v1')), entry('kind', scalar('ConfigMap')), entry('metadata', metadataArb(local)), entry('data', mapArb([entry('image', scalar('busybox:1.36'))], 1, 30))], 0, 10),
    )
    .map((node) => ({ node, local }));
});

const existingResult = mapArb([entry('message', scalar('"from an earlier function"')), entry('severity', scalar('info'))], 0, 30);
const resultsArb: fc.Arbitrary<YamlNode | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: seqArb(existingResult, 1, 2, 40) },
  { weight: 1, arbitrary: fc.constantFrom<YamlNode>({ kind: 'scalar', text: 'null' }, { kind: 'scalar', text: '~' }, { kind: 'scalar', text: '', flow: 'null' }) },
);

const HEADERS = ['', '# a ResourceList\n', '---\n', '%YAML 1.2\n---\n', '# c\n---\n'];

/** Whole ResourceLists; `headers` are what may come before the top-level mapping. */
export const resourceListArb = (headers: readonly string[] = HEADERS): fc.Arbitrary<ResourceListDoc> =>
  fc
    .tuple(
      fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 19, arbitrary: fc.array(itemArb, { minLength: 1, maxLength: 4 }) }),
      styleArb(10),
      resultsArb,
      sometimes(fc.oneof(extraValueArb, blockScalarArb), 30),
      fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
      percent(5),
      fc.constantFrom(0, 0, 0, 1, 2),
      fc.constantFrom(...headers),
      fc.constantFrom('', '\n', '\n# trailing comment\n', '\n...\n', '\n# c\n...\n'),
    )
    .map(([items, itemsStyle, results, extra, order, flowRoot, rootIndent, header, footer]) => {
      const plain = (key: string, value: YamlNode): Entry => ({ key, value, before: [], trailing: '' });
      const entries = [
        plain('apiVersion', { kind: 'scalar', text: 'config.kubernetes.io/v1' }),
        plain('kind', { kind: 'scalar', text: 'ResourceList' }),
        plain('items', { kind: 'seq', items: items.map((item) => item.node), style: itemsStyle }),
        ...(results === undefined ? [] : [plain('results', results)]),
        ...(extra === undefined ? [] : [plain('x-extra', extra)]),
      ];
      const ranked = entries.map((item, index) => ({ item, rank: order[index] ?? index }));
      const doc: ResourceListDoc = {
        root: {
          kind: 'map',
          entries: ranked.sort((a, b) => a.rank - b.rank).map(({ item }) => item),
          style: { flow: flowRoot, multiline: true, indentless: false, trailingComma: false },
        },
        rootIndent,
        header,
        footer,
        localItems: new Set<YamlNode>(items.filter((item) => item.local).map((item) => item.node)),
        hasResults: results !== undefined,
        resultsWereNull: results?.kind === 'scalar',
      };
      // fast-check shows a counterexample as the YAML text it stands for.
      return Object.assign(doc, { [fc.toStringMethod]: () => `ResourceList:\n${new Printer(() => '', doc.localItems).print(doc)}` });
    });
