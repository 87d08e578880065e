// NO_PROXY as undici's EnvHttpProxyAgent applies it (the agent that routes digester's requests), so
// that code deciding where connections go agrees with it: entries split on commas or whitespace, each
// a host name (a leading `.` or `*.` ignored) that also covers its subdomains, optionally with a port;
// `*` alone bypasses the proxy for every host.

/** Whether `url`'s host is exempt from the proxy by the NO_PROXY value `noProxy`. */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  if (noProxy === '*') return true;
  // Brackets of an IPv6 literal stay, as undici keeps them.
  const hostname = url.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(url.port, 10) || (url.protocol === 'https:' ? 443 : 80);
  for (const entry of noProxy.split(/[,\s]/)) {
    if (entry === '') continue;
    const withPort = /^(.+):(\d+)$/.exec(entry);
    const name = (withPort?.[1] ?? entry).replace(/^\*?\./, '').toLowerCase();
    if (withPort !== null && Number.parseInt(withPort[2] as string, 10) !== port) continue;
    if (hostname === name || hostname.endsWith(`.${name}`)) return true;
  }
  return false;
}
