/**
 * The leak scanner: every token and secret value a test has seen is searched for in every text the
 * test collects (state exports, CLI output, logs). Short values are ignored: they cannot be secrets
 * Keycloak issued.
 */
export class SecretRegistry {
  private readonly values = new Map<string, string>();

  add(label: string, value: unknown): void {
    if (typeof value === "string" && value.length >= 16) this.values.set(value, label);
  }

  /** The labels of the secrets found in `text`, with where they were found. Empty means clean. */
  findIn(where: string, text: string): string[] {
    const hits: string[] = [];
    for (const [value, label] of this.values) if (text.includes(value)) hits.push(`${label} in ${where}`);
    return hits;
  }

  get size(): number {
    return this.values.size;
  }
}

/** The Pulumi state export's marker for a secret value: the plaintext is not there, only ciphertext. */
export function isCiphertext(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270" &&
    typeof (value as Record<string, unknown>).ciphertext === "string"
  );
}
