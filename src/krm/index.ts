export { processResourceList, type ProcessOptions, type ProcessOutcome } from './process.js';
export { UnusableInputError, type ResourceRef, type FileRef } from './resource-list.js';
export type { Result } from './results.js';
