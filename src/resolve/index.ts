export { planImage, type ImagePlan } from './policy.js';
export { Slots } from './slots.js';
export { resolveAll, startResolving, createRegistrySource, memoizeSource, passThrough, ResolveError, DeadlineError, type ResolveOptions, type DigestSource, type Resolution, type ResolveRun, type ResolveTask } from './resolver.js';
