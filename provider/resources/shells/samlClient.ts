import { providerShell } from "../shell";

/**
 * The samlClient provider shell as this module's whole export. When the package sits in a real
 * `node_modules`, Pulumi's closure serializer recognises the object as a module's exports and stores
 * `require("pulumi-keycloak-registration/shells/samlClient")` instead of the shell's code (see
 * {@link providerShell}).
 */
export = providerShell("samlClientProvider");
