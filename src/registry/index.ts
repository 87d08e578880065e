/** The registry layer's public surface: the client, its errors, and the pieces other layers may reuse. */
export {
  RegistryClient,
  type ManifestTarget,
  type RegistryClientOptions,
  type RegistryMapping,
  type ResolveDigestOptions,
} from './client.js';
export { parsePullSecret } from './credential-store.js';
export type { RetryPolicy } from './retry.js';
export { RegistryError, type RegistryErrorCode } from './errors.js';
export { parseChallenges, selectChallenge, type Challenge } from './challenge.js';
export { isLinkLocalHost, isLoopbackHost, parseEndpointUrl, resolveEndpoint, resolveEndpoints, type Endpoint } from './endpoint.js';
export { isDigest } from './manifests.js';
