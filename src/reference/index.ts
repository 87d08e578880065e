export { parseReference, InvalidReferenceError, type ImageReference } from './parse.js';
export { pinReference, formatName, formatReference, manifestReference } from './format.js';
