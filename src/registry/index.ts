/** The registry layer's public surface: the client, its errors, and the pieces other layers may reuse. */
export { RegistryClient, type ManifestTarget, type RegistryClientOptions, type RegistryMapping } from './client.js';
export { RegistryError, type RegistryErrorCode } from './errors.js';
export { parseChallenges, selectChallenge, type Challenge } from './challenge.js';
export { isLoopbackHost, parseEndpointUrl, resolveEndpoint, type Endpoint } from './endpoint.js';
export { isDigest } from './manifests.js';
