// The seed's clients from Go: the provider plugin serves them through the generated Go SDK.
package main

import (
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	kcreg "pulumi-keycloak-registration/sdk/go/keycloakregistration"
)

// orDefault is Python's `config.get(key) or default`: unset and empty both take the default.
func orDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		appURL := orDefault(cfg.Get("appUrl"), "https://app.example.com")

		// The public client of the blog post this project started from: Keycloak generates the clientId.
		testClient, err := kcreg.NewKeycloakClient(ctx, "test-client", &kcreg.KeycloakClientArgs{
			Name:                   pulumi.String("test-client"),
			RedirectUris:           pulumi.StringArray{pulumi.String("http://localhost:8080/*")},
			ConsentRequired:        pulumi.Bool(false),
			StandardFlowEnabled:    pulumi.Bool(true),
			ImplicitFlowEnabled:    pulumi.Bool(false),
			ServiceAccountsEnabled: pulumi.Bool(false),
			PublicClient:           pulumi.Bool(true),
			FrontchannelLogout:     pulumi.Bool(false),
			FullScopeAllowed:       pulumi.Bool(false),
		})
		if err != nil {
			return err
		}

		// A backend that calls APIs as itself: Keycloak issues a client secret (a secret output).
		worker, err := kcreg.NewKeycloakClient(ctx, "report-worker", &kcreg.KeycloakClientArgs{
			ClientId:                  pulumi.String("report-worker"),
			Description:               pulumi.String(orDefault(cfg.Get("workerDescription"), "Nightly report generator")),
			PublicClient:              pulumi.Bool(false),
			ServiceAccountsEnabled:    pulumi.Bool(true),
			StandardFlowEnabled:       pulumi.Bool(false),
			DirectAccessGrantsEnabled: pulumi.Bool(false),
		})
		if err != nil {
			return err
		}

		// RFC 7591 client metadata, spelt as the RFC spells it.
		web, err := kcreg.NewOidcClient(ctx, "web", &kcreg.OidcClientArgs{
			Client_name:                pulumi.String("Example web app"),
			Redirect_uris:              pulumi.StringArray{pulumi.String(appURL + "/callback")},
			Post_logout_redirect_uris:  pulumi.StringArray{pulumi.String(appURL + "/")},
			Grant_types:                pulumi.StringArray{pulumi.String("authorization_code"), pulumi.String("refresh_token")},
			Response_types:             pulumi.StringArray{pulumi.String("code")},
			Token_endpoint_auth_method: pulumi.String("client_secret_basic"),
			Scope:                      pulumi.String("email profile"),
		})
		if err != nil {
			return err
		}

		// A SAML service provider registered from its EntityDescriptor (the program runs in its directory).
		entityDescriptor, err := os.ReadFile("sp-metadata.xml")
		if err != nil {
			return err
		}
		sp, err := kcreg.NewSamlClient(ctx, "sp", &kcreg.SamlClientArgs{
			EntityDescriptor: pulumi.String(string(entityDescriptor)),
		})
		if err != nil {
			return err
		}

		ctx.Export("testClientId", testClient.ClientId)
		ctx.Export("workerClientId", worker.ClientId)
		ctx.Export("workerClientSecret", worker.ClientSecret) // secret
		ctx.Export("tokenEndpoint", pulumi.Sprintf("%s/realms/%s/protocol/openid-connect/token", worker.ServerUrl, worker.Realm))
		ctx.Export("webClientId", web.Client_id)
		ctx.Export("webRegistrationClientUri", web.Registration_client_uri)
		ctx.Export("webClientSecret", web.Client_secret) // secret
		ctx.Export("spClientId", sp.ClientId)
		// Secret: `pulumi stack output --show-secrets` reveals them.
		ctx.Export("registrationAccessTokens", pulumi.StringMap{
			"test-client":   testClient.RegistrationAccessToken.Elem(),
			"report-worker": worker.RegistrationAccessToken.Elem(),
			"web":           web.Registration_access_token,
			"sp":            sp.RegistrationAccessToken.Elem(),
		})
		return nil
	})
}
