import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { trustedCertificates } from "../../provider/registration/http";
import { bypassesProxy, displayProxy, proxyFor, ProxySettingError } from "../../provider/registration/proxy";

const url = (u: string) => new URL(u);

describe("which proxy a request goes through (curl's reading of the environment)", () => {
  test("https URLs use https_proxy / HTTPS_PROXY, http URLs http_proxy / HTTP_PROXY, either falls back to ALL_PROXY; lowercase first", () => {
    const env = { HTTPS_PROXY: "http://upper:3128", https_proxy: "http://lower:3128", HTTP_PROXY: "http://plain:3128" };
    expect(proxyFor(url("https://sso.example.com"), env)).toEqual({ proxyUrl: url("http://lower:3128"), variable: "https_proxy" });
    expect(proxyFor(url("http://sso.example.com"), env)).toEqual({ proxyUrl: url("http://plain:3128"), variable: "HTTP_PROXY" });
    expect(proxyFor(url("https://sso.example.com"), { HTTP_PROXY: "http://plain:3128" })).toBeUndefined();
    expect(proxyFor(url("https://sso.example.com"), { ALL_PROXY: "http://all:3128" })?.variable).toBe("ALL_PROXY");
    expect(proxyFor(url("https://sso.example.com"), {})).toBeUndefined();
    expect(proxyFor(url("https://sso.example.com"), { HTTPS_PROXY: "  " })).toBeUndefined();
  });

  test("a bare host:port is an HTTP proxy; a SOCKS proxy or a non-URL is refused naming the variable, not its credentials", () => {
    expect(proxyFor(url("https://sso.example.com"), { HTTPS_PROXY: "proxy.corp:3128" })?.proxyUrl.href).toBe("http://proxy.corp:3128/");
    expect(() => proxyFor(url("https://sso.example.com"), { HTTPS_PROXY: "socks5://u:secret-pw@proxy:1080" })).toThrow(ProxySettingError);
    expect(() => proxyFor(url("https://sso.example.com"), { HTTPS_PROXY: "socks5://u:secret-pw@proxy:1080" })).toThrow(/^HTTPS_PROXY uses socks5:\/\//);
    expect(() => proxyFor(url("https://sso.example.com"), { https_proxy: "http://[oops" })).toThrow(/^https_proxy is not a URL/);
    expect(displayProxy(url("http://builder:secret-pw@proxy.corp:3128"))).toBe("http://proxy.corp:3128");
  });

  test("NO_PROXY exempts a host and its subdomains, with or without a leading dot", () => {
    const env = { HTTPS_PROXY: "http://proxy:3128", NO_PROXY: "example.com" };
    expect(proxyFor(url("https://example.com"), env)).toBeUndefined();
    expect(proxyFor(url("https://sso.example.com"), env)).toBeUndefined();
    expect(proxyFor(url("https://notexample.com"), env)).toBeDefined();
    expect(proxyFor(url("https://sso.example.com"), { ...env, no_proxy: "other.org" })).toBeDefined();
  });

  test.each([
    ["*", "https://anything.example", true],
    [".example.com", "https://example.com", true],
    [".example.com", "https://a.b.example.com", true],
    ["*.example.com", "https://a.example.com", true],
    ["EXAMPLE.com", "https://Sso.Example.COM", true],
    ["example.com.", "https://sso.example.com", true],
    ["ample.com", "https://example.com", false],
    ["sso.example.com", "https://example.com", false],
    ["example.com:8443", "https://sso.example.com:8443", true],
    ["example.com:8443", "https://sso.example.com", false],
    ["example.com:443", "https://sso.example.com", true],
    ["example.com:80", "http://sso.example.com", true],
    ["10.1.2.3", "https://10.1.2.3:8443", true],
    ["10.0.0.0/8", "https://10.200.3.4", true],
    ["10.0.0.0/8", "https://11.0.0.1", false],
    ["10.1.2.3:8443", "https://10.1.2.3:8443", true],
    ["10.1.2.3:8443", "https://10.1.2.3", false],
    ["::1", "https://[::1]:8443", true],
    ["[::1]:8443", "https://[::1]:8443", true],
    ["[::1]:8443", "https://[::1]:9443", false],
    ["fd00::/8", "https://[fd12::1]", true],
    ["127.0.0.1", "https://localhost", false],
    ["foo.com, bar.org  baz.net", "https://x.baz.net", true],
    ["", "https://example.com", false],
    [" , ", "https://example.com", false],
  ])("NO_PROXY=%j exempts %s: %s", (noProxy, target, exempt) => {
    expect(bypassesProxy(url(target), noProxy)).toBe(exempt);
  });
});

describe("what a connection with caCertificate trusts", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-extra-ca-"));
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  afterAll(() => {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const pem = (label: string) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(label).toString("base64")}\n-----END CERTIFICATE-----`;

  test("Node's roots, every certificate of NODE_EXTRA_CA_CERTS, then the private CA", () => {
    const file = path.join(dir, "extra.pem");
    fs.writeFileSync(file, `${pem("extra one")}\nsome text between\n${pem("extra two")}\n`);
    process.env.NODE_EXTRA_CA_CERTS = file;
    const trusted = trustedCertificates(pem("private"));
    for (const root of tls.rootCertificates) expect(trusted).toContain(root);
    expect(trusted).toContain(pem("extra one"));
    expect(trusted).toContain(pem("extra two"));
    expect(trusted.at(-1)).toBe(pem("private"));
  });

  test("an unreadable NODE_EXTRA_CA_CERTS is skipped, as Node does after its start-up warning", () => {
    process.env.NODE_EXTRA_CA_CERTS = path.join(dir, "missing.pem");
    const trusted = trustedCertificates(pem("private"));
    for (const root of tls.rootCertificates) expect(trusted).toContain(root);
    expect(trusted.at(-1)).toBe(pem("private"));
  });
});
