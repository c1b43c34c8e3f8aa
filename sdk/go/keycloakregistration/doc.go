// Keycloak clients managed through Keycloak's Client Registration Service (an initial access token or a create-client service account, no realm-admin rights): KeycloakClient, OidcClient (any RFC 7591/7592 server) and SamlClient.
package keycloakregistration
