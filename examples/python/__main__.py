"""The seed's clients from Python: the provider plugin serves them through the generated SDK."""
import os

import pulumi
import pulumi_keycloak_registration as kcreg

config = pulumi.Config()
app_url = config.get("appUrl") or "https://app.example.com"

# The public client of the blog post this project started from: Keycloak generates the clientId.
test_client = kcreg.KeycloakClient(
    "test-client",
    name="test-client",
    redirect_uris=["http://localhost:8080/*"],
    consent_required=False,
    standard_flow_enabled=True,
    implicit_flow_enabled=False,
    service_accounts_enabled=False,
    public_client=True,
    frontchannel_logout=False,
    full_scope_allowed=False,
)

# A backend that calls APIs as itself: Keycloak issues a client secret (a secret output).
worker = kcreg.KeycloakClient(
    "report-worker",
    client_id="report-worker",
    description=config.get("workerDescription") or "Nightly report generator",
    public_client=False,
    service_accounts_enabled=True,
    standard_flow_enabled=False,
    direct_access_grants_enabled=False,
)

# RFC 7591 client metadata, spelt as the RFC spells it.
web = kcreg.OidcClient(
    "web",
    client_name="Example web app",
    redirect_uris=[f"{app_url}/callback"],
    post_logout_redirect_uris=[f"{app_url}/"],
    grant_types=["authorization_code", "refresh_token"],
    response_types=["code"],
    token_endpoint_auth_method="client_secret_basic",
    scope="email profile",
)

# A SAML service provider registered from its EntityDescriptor.
with open(os.path.join(os.path.dirname(__file__), "sp-metadata.xml"), encoding="utf-8") as f:
    sp = kcreg.SamlClient("sp", entity_descriptor=f.read())

pulumi.export("testClientId", test_client.client_id)
pulumi.export("workerClientId", worker.client_id)
pulumi.export("workerClientSecret", worker.client_secret)  # secret
pulumi.export(
    "tokenEndpoint",
    pulumi.Output.concat(worker.server_url, "/realms/", worker.realm, "/protocol/openid-connect/token"),
)
pulumi.export("webClientId", web.client_id)
pulumi.export("webRegistrationClientUri", web.registration_client_uri)
pulumi.export("webClientSecret", web.client_secret)  # secret
pulumi.export("spClientId", sp.client_id)
# Secret: `pulumi stack output --show-secrets` reveals them.
pulumi.export(
    "registrationAccessTokens",
    {
        "test-client": test_client.registration_access_token,
        "report-worker": worker.registration_access_token,
        "web": web.registration_access_token,
        "sp": sp.registration_access_token,
    },
)
