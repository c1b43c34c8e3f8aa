/**
 * The stack configuration's namespace (`keycloak-registration:serverUrl`, ...). A module of its own,
 * without zod, so that a program's `require("pulumi-keycloak-registration")` loads no schema library.
 */
export const CONFIG_NAMESPACE = "keycloak-registration";

/**
 * The configuration keys that hold credentials: secret in the provider's state and in every SDK,
 * however they were set. Here, without zod, for the program side's check of how they were set.
 */
export const SECRET_CONFIG_KEYS = ["initialAccessToken", "bearerToken", "serviceAccountClientSecret", "recoveryClientSecret"] as const;
