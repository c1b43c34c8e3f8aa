import type * as pulumi from "@pulumi/pulumi";

/**
 * Pulumi serializes a dynamic provider into every resource's state. This shell keeps that copy tiny
 * and credential-free: each method loads the real implementation by package name at run time
 * (`require` is never captured by Pulumi's closure serializer), so the state holds a few hundred
 * bytes of forwarding code and nothing else.
 */
export function providerShell(name: "keycloakClientProvider" | "oidcClientProvider" | "samlClientProvider"): pulumi.dynamic.ResourceProvider {
  // `name` is captured by value (a short string); everything else is looked up when called.
  return {
    configure: (req) => require("pulumi-keycloak-registration/dynamic")[name].configure(req),
    check: (olds, news) => require("pulumi-keycloak-registration/dynamic")[name].check(olds, news),
    diff: (id, olds, news) => require("pulumi-keycloak-registration/dynamic")[name].diff(id, olds, news),
    create: (inputs) => require("pulumi-keycloak-registration/dynamic")[name].create(inputs),
    read: (id, props) => require("pulumi-keycloak-registration/dynamic")[name].read(id, props),
    update: (id, olds, news) => require("pulumi-keycloak-registration/dynamic")[name].update(id, olds, news),
    delete: (id, props) => require("pulumi-keycloak-registration/dynamic")[name].delete(id, props),
  };
}
