export { processResourceList, type ProcessOptions, type ProcessOutcome } from './process.js';
export { processStream, readResourceStream, readYamlDocument, lineLocator, type StreamOptions, type StreamOutcome } from './stream.js';
export { collectPullSecrets } from './pull-secrets.js';
export type { ResourceSet } from './scan.js';
export type { ImageReport, PinMode } from './pin.js';
export { UnusableInputError, type ResourceRef, type FileRef } from './resource-list.js';
export { exitCodeFor, type Result } from './results.js';
