import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import { authSchema, realmSchema, serverUrlSchema } from "./connection";

const MAX_DESCRIPTOR = 256 * 1024;

/** What a SAML EntityDescriptor tells us before anything is sent: its entityID (the clientId) and that it describes an SP. */
export function parseEntityDescriptor(xml: string): { entityId: string } | { problem: string } {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    return { problem: `entityDescriptor is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})` };
  }
  const doc = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, attributeNamePrefix: "@" }).parse(xml) as Record<string, unknown>;
  const root = doc.EntityDescriptor as Record<string, unknown> | undefined;
  if (!root || typeof root !== "object") {
    return { problem: "entityDescriptor must have an <EntityDescriptor> root element (urn:oasis:names:tc:SAML:2.0:metadata)" };
  }
  const entityId = root["@entityID"];
  if (typeof entityId !== "string" || entityId.trim() === "") {
    return { problem: "entityDescriptor's <EntityDescriptor> needs an entityID attribute: it becomes the clientId" };
  }
  if (!("SPSSODescriptor" in root)) {
    return { problem: "entityDescriptor must contain an <SPSSODescriptor>: Keycloak registers service providers" };
  }
  return { entityId };
}

export const samlClientArgsSchema = z
  .strictObject({
    serverUrl: serverUrlSchema,
    realm: realmSchema,
    auth: authSchema.optional(),
    /**
     * Adopt the existing client whose clientId is the descriptor's entityID, by its registration
     * access token, instead of registering it. Only the first `up` uses it; secret, never compared.
     */
    adopt: z
      .strictObject(
        { registrationAccessToken: z.string({ error: "adopt.registrationAccessToken must be a string" }).min(1, "adopt.registrationAccessToken must not be empty") },
        { error: "adopt must be { registrationAccessToken }" },
      )
      .optional(),
    /** The service provider's SAML 2.0 EntityDescriptor (XML). A changed descriptor replaces the client. */
    entityDescriptor: z
      .string({ error: "entityDescriptor must be a string of XML" })
      .min(1, "entityDescriptor must not be empty")
      .max(MAX_DESCRIPTOR, `entityDescriptor must be at most ${MAX_DESCRIPTOR} characters`),
  })
  .superRefine((args, ctx) => {
    const parsed = parseEntityDescriptor(args.entityDescriptor);
    if ("problem" in parsed) ctx.addIssue({ code: "custom", path: ["entityDescriptor"], message: parsed.problem });
  });

export type SamlClientInputs = z.output<typeof samlClientArgsSchema>;
