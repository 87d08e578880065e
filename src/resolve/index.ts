export { planImage, type ImagePlan } from './policy.js';
export { resolveAll, createRegistrySource, memoizeSource, ResolveError, DeadlineError, type ResolveOptions, type DigestSource, type Resolution, type ResolveTask } from './resolver.js';
