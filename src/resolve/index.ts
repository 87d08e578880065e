export { planImage, type ImagePlan } from './policy.js';
export { Slots } from './slots.js';
export { resolveAll, createRegistrySource, memoizeSource, passThrough, ResolveError, DeadlineError, type ResolveOptions, type DigestSource, type Resolution, type ResolveTask } from './resolver.js';
