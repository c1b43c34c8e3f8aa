export { KeycloakClient } from "./resources/keycloakClient";
export type { KeycloakClientArgs } from "./resources/keycloakClient";
export { OidcClient } from "./resources/oidcClient";
export type { OidcClientArgs } from "./resources/oidcClient";
export type { Auth } from "./schema/connection";
export { CONFIG_NAMESPACE } from "./schema/connection";
export type { ProtocolMapper } from "./schema/keycloakClient";
export * from "./registration/errors";
