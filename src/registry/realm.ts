import type { Challenge } from './challenge.js';
import { isLinkLocalHost, type Endpoint } from './endpoint.js';
import { RegistryError } from './errors.js';

/**
 * The token realm of a Bearer challenge, checked before any credentials go there (docker token spec
 * `token.md`: the client sends them to whatever realm the registry names):
 * - it must be https, unless plain http is allowed for this registry anyway (loopback or insecure),
 *   since credentials would otherwise cross the network in clear text;
 * - its host must not be link-local (169.254.0.0/16, fe80::/10): a registry, or whoever answers in its
 *   place, must not make digester fetch from a cloud metadata server such as 169.254.169.254.
 */
export function checkRealm(challenge: Challenge, endpoint: Endpoint): URL {
  const realm = challenge.params['realm'];
  const host = endpoint.host;
  let url: URL;
  try {
    url = new URL(realm ?? '');
  } catch {
    throw new RegistryError('ERR_REGISTRY_AUTH', `bearer challenge from ${host} has no valid realm: ${JSON.stringify(realm ?? '')}`);
  }
  const where = `${url.origin}${url.pathname}`;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && endpoint.insecure)) {
    throw new RegistryError(
      'ERR_REGISTRY_AUTH',
      `refusing token realm ${where} from ${host}: only https is allowed for a registry that is not loopback or insecure`,
    );
  }
  if (isLinkLocalHost(url.host)) {
    throw new RegistryError(
      'ERR_REGISTRY_AUTH',
      `refusing token realm ${where} from ${host}: link-local addresses (169.254.0.0/16, fe80::/10) such as cloud metadata servers are never a token realm`,
    );
  }
  return url;
}
