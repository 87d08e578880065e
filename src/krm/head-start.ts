import { isDeepStrictEqual } from 'node:util';
import { planImage, type DigestSource } from '../resolve/index.js';
import { ConfigError, settingsFor, type Settings } from '../settings.js';
import { nextTurn } from './pin.js';
import { parseYamlStream } from './yaml-documents.js';
import { toPlainValue } from './yaml-value.js';

// Parsing a large ResourceList takes longer than a round trip, and no image, so no registry, is known
// until the parse ends. A head start: before the parse, read the functionConfig and the container
// `image:` lines from the text alone, and send those registries their pings (DigestSource.warm), so
// the round trip runs while the list is parsed. The text is only a hint. The run itself goes by the
// parse: it keeps the head start's settings and source only when the parsed functionConfig is the
// same, and otherwise starts afresh. At worst a ping was sent for nothing: an unauthenticated
// GET /v2/, the request the run itself opens each registry with.

/** Only this much of the text is searched for images: enough for the registries of any real package's first resources. */
const SCAN_CHARS = 256 * 1024;
/** At most this many registries get a head start; real packages use a handful. */
const MAX_REGISTRIES = 8;
/** How far above an `image:` line its `containers:` key may be; a container's image is near its top. */
const MAX_LINES_UP = 64;
/** The keys whose list items are containers, in every pod spec (src/krm/image-fields.ts). */
const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

const RESOURCE_LIST_KIND = /^kind[ \t]*:[ \t]*(["']?)ResourceList\1[ \t]*(?:#.*)?\r?$/m;
/** Sticky: tried where the one `functionConfig` of the text is, which must start a line. */
const FUNCTION_CONFIG_KEY = /functionConfig[ \t]*:(?=[ \t\r\n]|$)/y;
/** A line at column 0 that is not blank, a comment or a continuation: the next top-level key or a document marker. */
const TOP_LEVEL_LINE = /\n(?=[^ \t#\r\n])/g;
/** `image: value` in block style, possibly after a list item's dash; the value plain or quoted. */
const IMAGE_LINE = /^([ \t]*(?:-[ \t]+)*)image[ \t]*:[ \t]+(["']?)([^\s"'#,[\]{}]+)\2[ \t]*(?:#.*)?\r?$/gm;
/** A block mapping key line with nothing after the colon: the parent of what is indented below it. */
const KEY_LINE = /^([ \t]*(?:-[ \t]+)*)([A-Za-z]+)[ \t]*:[ \t]*(?:#.*)?\r?$/;

/** What {@link startBeforeParse} started: the run keeps it if the parsed functionConfig is the same. */
export interface HeadStart {
  /** The functionConfig as plain data, read from its own lines (null when the list has none). */
  readonly functionConfig: unknown;
  readonly settings: Settings;
  readonly source: DigestSource;
  /** The registries sent their ping. */
  readonly registries: readonly string[];
}

/** What a head start needs: the processor's own options. */
export interface HeadStartOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly createSource: (settings: Settings, credentials: { readonly pullSecrets: readonly string[] }) => DigestSource | Promise<DigestSource>;
  readonly log?: (message: string) => void;
}

/**
 * Reads the settings and the registries from the unparsed text and pings those registries. Returns
 * undefined, having contacted nothing, when the text does not say clearly enough: no ResourceList
 * kind line, a functionConfig it cannot read alone or that is invalid, check mode, imagePullSecrets
 * (their credentials are known only after the parse), or no container image to resolve.
 */
export async function startBeforeParse(text: string, options: HeadStartOptions): Promise<HeadStart | undefined> {
  // Cheapest first: a list with nothing to resolve near its top (all pinned, say) pays well under a
  // millisecond here (0.9 ms for the bench's 8.8 MB list): images are searched for in the first 256 KiB.
  const head = text.slice(0, SCAN_CHARS);
  if (!RESOURCE_LIST_KIND.test(head)) return undefined;
  const images = findContainerImages(head);
  if (images.length === 0 || text.includes('imagePullSecrets')) return undefined;
  const functionConfig = readFunctionConfig(text);
  if (functionConfig === undefined) return undefined;
  let settings: Settings;
  try {
    settings = await settingsFor(functionConfig, options.env);
  } catch (error) {
    // The run reports it once the list is parsed.
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
  if (settings.mode === 'check') return undefined;
  const registries = registriesToResolve(images, settings.skipPrefixes);
  if (registries.length === 0) return undefined;
  let source: DigestSource;
  try {
    source = await options.createSource(settings, { pullSecrets: [] });
  } catch {
    return undefined;
  }
  options.log?.(`pinging ${registries.join(', ')} while the list is parsed`);
  for (const registry of registries) source.warm?.(registry);
  // Two turns of the event loop: the source loads its client, connects, and the pings leave; the
  // parse that follows holds the loop, while their round trips run on the network.
  await nextTurn();
  await nextTurn();
  return { functionConfig, settings, source, registries };
}

/** Whether the parsed list's functionConfig is the one the head start was made with. */
export function sameFunctionConfig(start: HeadStart, parsed: unknown): boolean {
  return isDeepStrictEqual(start.functionConfig, parsed);
}

/**
 * The functionConfig as plain data, from its lines alone: null when the text never names it,
 * undefined when it cannot tell (named more than once, not as a top-level block key, or lines that
 * do not parse on their own, such as an alias to an anchor elsewhere).
 */
export function readFunctionConfig(text: string): unknown {
  const first = text.indexOf('functionConfig');
  if (first === -1) return null;
  if (text.indexOf('functionConfig', first + 1) !== -1) return undefined;
  FUNCTION_CONFIG_KEY.lastIndex = first;
  if ((first > 0 && text[first - 1] !== '\n') || !FUNCTION_CONFIG_KEY.test(text)) return undefined;
  TOP_LEVEL_LINE.lastIndex = first;
  const next = TOP_LEVEL_LINE.exec(text);
  const lines = text.slice(first, next === null ? text.length : next.index + 1);
  try {
    const { tree, documents } = parseYamlStream(lines);
    const root = documents[0]?.root;
    if (documents.length !== 1 || root === undefined) return undefined;
    return toPlainValue(tree, tree.get(tree.deref(root), 'functionConfig'));
  } catch {
    return undefined;
  }
}

/**
 * The images on `image:` lines that are items of a `containers`, `initContainers` or
 * `ephemeralContainers` list, each once, in the order first seen; not those pinned by digest.
 */
export function findContainerImages(text: string): string[] {
  const images = new Set<string>();
  IMAGE_LINE.lastIndex = 0;
  for (let match = IMAGE_LINE.exec(text); match !== null; match = IMAGE_LINE.exec(text)) {
    const image = match[3] as string;
    if (!images.has(image) && !image.includes('@') && inContainerList(text, match.index, (match[1] as string).length)) images.add(image);
  }
  return [...images];
}

/** The registries of the images the skip prefixes leave to resolve, in order; at most {@link MAX_REGISTRIES}. */
export function registriesToResolve(images: readonly string[], skipPrefixes: readonly string[]): string[] {
  const registries = new Set<string>();
  for (const image of images) {
    const plan = planImage(image, skipPrefixes);
    if (plan.action === 'resolve') registries.add(plan.reference.registry);
    if (registries.size === MAX_REGISTRIES) break;
  }
  return [...registries];
}

/** Whether the key at `column` of the line at `start` sits under a container list key, looking up. */
function inContainerList(text: string, start: number, column: number): boolean {
  let end = start - 1;
  for (let up = 0; up < MAX_LINES_UP && end > 0; up++) {
    const begin = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(begin, end);
    end = begin - 1;
    const indent = /^[ \t]*(?:-[ \t]+)*/.exec(line)?.[0].length ?? 0;
    // Blank lines, comments, and the lines of this container and the ones before it.
    if (indent === line.length || line[indent] === '#' || line[indent] === '\r' || indent >= column) continue;
    const key = KEY_LINE.exec(line);
    return key !== null && CONTAINER_LISTS.has(key[2] as string);
  }
  return false;
}
