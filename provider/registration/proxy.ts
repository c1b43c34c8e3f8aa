import { BlockList, isIP } from "node:net";

/**
 * Which proxy, if any, a request to a URL goes through, from the environment as curl reads it:
 * `https_proxy`/`HTTPS_PROXY` for https URLs, `http_proxy`/`HTTP_PROXY` for http URLs,
 * `all_proxy`/`ALL_PROXY` for either, the lowercase spelling first; `no_proxy`/`NO_PROXY` lists
 * the hosts reached directly.
 */
export interface ProxyRoute {
  /** The proxy's URL, e.g. `http://proxy.corp:3128` (may carry the proxy's own credentials). */
  proxyUrl: URL;
  /** The variable it came from, for messages. */
  variable: string;
}

type Env = Record<string, string | undefined>;

function firstSet(env: Env, names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** The proxy for `target`, or undefined when the request goes direct. Throws on a proxy URL it cannot use. */
export function proxyFor(target: URL, env: Env = process.env): ProxyRoute | undefined {
  const scheme = target.protocol.replace(/:$/, "");
  const set =
    scheme === "https"
      ? firstSet(env, ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])
      : firstSet(env, ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]);
  if (!set) return undefined;
  const noProxy = firstSet(env, ["no_proxy", "NO_PROXY"]);
  if (noProxy && bypassesProxy(target, noProxy.value)) return undefined;
  // A bare "host:port" means an HTTP proxy, as curl reads it.
  const raw = /^[a-z][a-z0-9+.-]*:\/\//i.test(set.value) ? set.value : `http://${set.value}`;
  let proxyUrl: URL;
  try {
    proxyUrl = new URL(raw);
  } catch {
    throw new ProxySettingError(`${set.name} is not a URL such as http://proxy.example.com:3128`);
  }
  if (proxyUrl.protocol !== "http:" && proxyUrl.protocol !== "https:") {
    throw new ProxySettingError(`${set.name} uses ${proxyUrl.protocol}// ; only http:// and https:// proxies are supported (CONNECT tunnels)`);
  }
  return { proxyUrl, variable: set.name };
}

/** A proxy variable the provider cannot use; the message names the variable, never its credentials. */
export class ProxySettingError extends Error {}

/** The proxy URL without its credentials, for messages. */
export function displayProxy(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function defaultPort(protocol: string): string {
  return protocol === "https:" ? "443" : "80";
}

/**
 * Whether NO_PROXY exempts `target`, as curl matches it: `*` exempts everything; each
 * comma-separated entry is a host name that matches itself and its subdomains (a leading `.` or
 * `*.` is ignored), an IP address or CIDR range, and may end in `:port` to exempt that port only.
 */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
  const port = target.port || defaultPort(target.protocol);
  for (const rawEntry of noProxy.split(/[,\s]+/)) {
    let entry = rawEntry.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    let entryPort: string | undefined;
    // "[::1]:8443", "host:8443"; a bare IPv6 address has several colons and no port.
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1]!;
      entryPort = bracketed[2];
    } else if ((entry.match(/:/g) ?? []).length === 1) {
      const [h, p] = entry.split(":");
      entry = h!;
      entryPort = p;
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    if (matchesAddress(host, entry)) return true;
    const name = entry.replace(/^\*?\./, "").replace(/\.$/, "");
    if (!name || isIP(name)) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

function matchesAddress(host: string, entry: string): boolean {
  const hostFamily = isIP(host);
  if (!hostFamily) return false;
  const [address, bits] = entry.split("/");
  const family = isIP(address ?? "");
  if (!family || family !== hostFamily) return false;
  const type = family === 4 ? "ipv4" : "ipv6";
  if (bits === undefined) {
    const list = new BlockList();
    list.addAddress(address!, type);
    return list.check(host, type);
  }
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(address!, prefix, type);
  return list.check(host, type);
}
