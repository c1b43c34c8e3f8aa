/**
 * The provider implementations, loaded at run time inside Pulumi's dynamic-provider process by the
 * tiny serialized shells in `../resources`. Nothing here is serialized into the stack's state.
 */
export { keycloakClientProvider } from "./keycloakClientProvider";
export { oidcClientProvider } from "./oidcClientProvider";
export { samlClientProvider } from "./samlClientProvider";
