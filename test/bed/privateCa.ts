/**
 * A throw-away private CA for TLS tests, made with `openssl` in a temp directory: a self-signed CA
 * and server certificates signed by it. Nothing here is trusted by the system; `remove()` deletes
 * the directory (keys included).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface ServerCertificate {
  certificateFile: string;
  keyFile: string;
  /** PEM of the server certificate. */
  certificatePem: string;
  keyPem: string;
}

export interface PrivateCa {
  dir: string;
  caCertificateFile: string;
  /** PEM of the CA certificate: what `keycloak-registration:caCertificate` takes. */
  caCertificatePem: string;
  /** A server certificate signed by this CA for the given DNS names and IP addresses. */
  issue(name: string, san: { dns?: string[]; ip?: string[] }): ServerCertificate;
  remove(): void;
}

const OPENSSL = fs.existsSync("/usr/bin/openssl") ? "/usr/bin/openssl" : "openssl";

function openssl(args: string[], cwd: string): void {
  const r = spawnSync(OPENSSL, args, { cwd, encoding: "utf8" });
  if (r.error) throw new Error(`cannot run openssl: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed (${r.status}): ${r.stderr}`);
}

export function createPrivateCa(commonName = "kcreg test CA"): PrivateCa {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-ca-"));
  fs.chmodSync(dir, 0o700);
  const caKey = path.join(dir, "ca.key");
  const caCert = path.join(dir, "ca.pem");
  openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", caKey], dir);
  fs.writeFileSync(
    path.join(dir, "ca.cnf"),
    [
      "[req]",
      "distinguished_name = dn",
      "prompt = no",
      "x509_extensions = v3_ca",
      "[dn]",
      `CN = ${commonName}`,
      "[v3_ca]",
      "basicConstraints = critical, CA:TRUE",
      "keyUsage = critical, keyCertSign, cRLSign",
      "subjectKeyIdentifier = hash",
      "",
    ].join("\n"),
  );
  openssl(["req", "-x509", "-new", "-key", caKey, "-sha256", "-days", "2", "-config", "ca.cnf", "-out", caCert], dir);

  let serial = 1;
  const issue = (name: string, san: { dns?: string[]; ip?: string[] }): ServerCertificate => {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`bad certificate name '${name}'`);
    const key = path.join(dir, `${name}.key`);
    const csr = path.join(dir, `${name}.csr`);
    const cert = path.join(dir, `${name}.pem`);
    const cnf = path.join(dir, `${name}.cnf`);
    const alt = [...(san.dns ?? []).map((d) => `DNS:${d}`), ...(san.ip ?? []).map((i) => `IP:${i}`)].join(", ");
    if (!alt) throw new Error("a server certificate needs at least one subjectAltName");
    fs.writeFileSync(
      cnf,
      [
        "[req]",
        "distinguished_name = dn",
        "prompt = no",
        "[dn]",
        `CN = ${san.dns?.[0] ?? san.ip?.[0]}`,
        "[v3_server]",
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature, keyEncipherment",
        "extendedKeyUsage = serverAuth",
        `subjectAltName = ${alt}`,
        "authorityKeyIdentifier = keyid",
        "",
      ].join("\n"),
    );
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key], dir);
    openssl(["req", "-new", "-key", key, "-config", cnf, "-out", csr], dir);
    openssl(
      ["x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-set_serial", String(serial++), "-days", "2", "-sha256", "-extfile", cnf, "-extensions", "v3_server", "-out", cert],
      dir,
    );
    return { certificateFile: cert, keyFile: key, certificatePem: fs.readFileSync(cert, "utf8"), keyPem: fs.readFileSync(key, "utf8") };
  };

  return {
    dir,
    caCertificateFile: caCert,
    caCertificatePem: fs.readFileSync(caCert, "utf8"),
    issue,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
