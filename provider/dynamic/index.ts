/**
 * The provider implementations, loaded at run time inside Pulumi's dynamic-provider process by the
 * tiny serialized shells in `../resources`. Nothing here is serialized into the stack's state.
 */
import { keycloakClientProvider as keycloakClient } from "./keycloakClientProvider";
import { withAdapterConfig } from "./adapterConfig";

export const keycloakClientProvider = withAdapterConfig(keycloakClient);
export { oidcClientProvider } from "./oidcClientProvider";
export { samlClientProvider } from "./samlClientProvider";
