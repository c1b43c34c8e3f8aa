import type * as pulumi from "@pulumi/pulumi";
import { diffClient, KeycloakClientState } from "../dynamic/clientDiff";
import { diffOidcClient, OidcClientState } from "../dynamic/oidcDiff";
import { diffSamlClient, SamlClientState } from "../dynamic/samlDiff";
import { containsUnknown } from "../dynamic/unknowns";
import type { KeycloakClientInputs } from "../schema/keycloakClient";
import type { OidcClientInputs } from "../schema/oidcClient";
import type { SamlClientInputs } from "../schema/samlClient";
import type { Props } from "./properties";

/** How one property changes, as Pulumi's PropertyDiff.Kind names it. */
export type ChangeKind = "add" | "addReplace" | "delete" | "deleteReplace" | "update" | "updateReplace";

/**
 * Which properties the core's decision (`changes`, `replaces`) is about, for the engine's display:
 * the same pure diff functions the kinds decide with, read for their field lists. Presentation only;
 * the decision itself is the core's.
 */
export function detailedDiff(kind: string, olds: Props, news: Props, decision: pulumi.dynamic.DiffResult): Record<string, ChangeKind> {
  const replaces = new Set(decision.replaces ?? []);
  const out: Record<string, ChangeKind> = {};
  const mark = (field: string, removed = false) => {
    const replacing = replaces.has(field);
    out[field] = removed ? (replacing ? "deleteReplace" : "delete") : olds[field] === undefined ? (replacing ? "addReplace" : "add") : replacing ? "updateReplace" : "update";
  };
  if (containsUnknown(news)) {
    for (const [field, value] of Object.entries(news)) if (containsUnknown(value)) mark(field);
    for (const field of replaces) if (!(field in out)) mark(field);
    return out;
  }
  switch (kind) {
    case "KeycloakClient": {
      const d = diffClient(olds as unknown as KeycloakClientState, news as unknown as KeycloakClientInputs);
      for (const f of [...d.replaces, ...d.changed]) mark(f);
      for (const f of d.removed) mark(f, true);
      const fetch = Boolean(news.fetchAdapterConfig);
      if (fetch !== (olds.adapterConfig !== undefined)) out.fetchAdapterConfig = fetch ? "add" : "delete";
      break;
    }
    case "OidcClient": {
      const d = diffOidcClient(olds as unknown as OidcClientState, news as unknown as OidcClientInputs);
      for (const f of [...d.replaces, ...d.changed]) mark(f);
      for (const f of d.removed) mark(f, true);
      break;
    }
    case "SamlClient": {
      const d = diffSamlClient(olds as unknown as SamlClientState, news as unknown as SamlClientInputs);
      for (const f of d.replaces) mark(f);
      // What Keycloak derived from the descriptor drifted: the update puts it back.
      if (d.drifted) out.registered = "update";
      break;
    }
  }
  for (const field of replaces) if (!(field in out)) mark(field);
  return out;
}
