// The public API of the digester package.
export { parseReference, InvalidReferenceError, pinReference, formatReference, type ImageReference } from './reference/index.js';
export { processResourceList, UnusableInputError, type ProcessOptions, type ProcessOutcome, type Result } from './krm/index.js';
export { loadSettings, ConfigError, DigesterConfig, type Settings } from './config.js';
export { resolveAll, createRegistrySource, type DigestSource } from './resolve/index.js';
