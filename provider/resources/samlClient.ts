import * as pulumi from "@pulumi/pulumi";
import { Auth } from "../schema/connection";
import { commonInputs, dynamicType, keycloakLocation, muteStackCapture } from "./location";
import provider = require("./shells/samlClient");

export interface SamlClientArgs {
  /** Keycloak's base URL; default `keycloak-registration:serverUrl`. */
  serverUrl?: pulumi.Input<string>;
  /** Default `keycloak-registration:realm`. */
  realm?: pulumi.Input<string>;
  /** Per-resource registration credentials, overriding the stack configuration. Secret; never compared. */
  auth?: pulumi.Input<Auth>;
  /**
   * Adopt the existing client whose clientId is the descriptor's entityID (Pulumi's `import` option
   * does not work for dynamic providers): its registration access token. Only the first `up` uses it;
   * kept secret, never compared.
   */
  adopt?: pulumi.Input<{ registrationAccessToken: pulumi.Input<string> }>;
  /** The service provider's SAML 2.0 EntityDescriptor XML. Its entityID becomes the clientId; a changed descriptor replaces the client. */
  entityDescriptor: pulumi.Input<string>;
}


/**
 * A SAML service provider registered from its EntityDescriptor through the Client Registration
 * Service (`saml2-entity-descriptor`), then managed through `default` with its registration access
 * token (a secret output).
 */
export class SamlClient extends pulumi.CustomResource {
  declare readonly serverUrl: pulumi.Output<string>;
  declare readonly realm: pulumi.Output<string>;
  /** The entityID of the descriptor. */
  declare readonly clientId: pulumi.Output<string>;
  declare readonly internalId: pulumi.Output<string>;
  declare readonly registrationAccessToken: pulumi.Output<string>;
  /** What Keycloak derived from the descriptor (redirect URIs, web origins, SAML attributes; no key material). */
  declare readonly registered: pulumi.Output<{ redirectUris: string[]; webOrigins: string[]; attributes: Record<string, string> }>;

  constructor(name: string, args: SamlClientArgs, opts?: pulumi.CustomResourceOptions) {
    const { serverUrl, realm } = keycloakLocation("SamlClient", name, args);
    const unmute = muteStackCapture();
    try {
      super(
        dynamicType("SamlClient"),
        name,
        {
          serverUrl,
          realm,
          entityDescriptor: args.entityDescriptor,
          ...commonInputs("SamlClient", name, args, provider),
          clientId: undefined,
          internalId: undefined,
          registrationAccessToken: undefined,
          registered: undefined,
          observed: undefined,
        },
        { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "registrationAccessToken"] },
      );
    } catch (error) {
      throw unmute(error);
    } finally {
      unmute();
    }
  }
}
