/**
 * The stack configuration's namespace (`keycloak-registration:serverUrl`, ...). A module of its own,
 * without zod, so that a program's `require("pulumi-keycloak-registration")` loads no schema library.
 */
export const CONFIG_NAMESPACE = "keycloak-registration";
