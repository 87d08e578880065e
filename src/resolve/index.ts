export { planImage, type ImagePlan } from './policy.js';
export { resolveAll, createRegistrySource, ResolveError, type DigestSource, type Resolution, type ResolveTask } from './resolver.js';
