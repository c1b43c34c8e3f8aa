import type * as FastXmlParser from "fast-xml-parser";
import { z } from "zod";
import { authSchema, pathSegmentProblem, realmSchema, serverUrlSchema } from "./connection";

const MAX_DESCRIPTOR = 256 * 1024;

/** The XML parser, loaded with the first SAML descriptor read: stacks without SAML clients never load it. */
let xmlParser: typeof FastXmlParser | undefined;
const xmlLib = (): typeof FastXmlParser => (xmlParser ??= require("fast-xml-parser") as typeof FastXmlParser);

/** Names that would reach an object's prototype if a parser made them keys. */
const RESERVED_NAMES = new Set(["__proto__", "constructor", "prototype"]);

/** Element and attribute names of well-formed XML (comments, CDATA and processing instructions left out). */
function* xmlNames(xml: string): Generator<{ kind: "element" | "attribute"; name: string }> {
  const markup = xml.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>/g, "");
  for (const tag of markup.matchAll(/<\/?([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/g)) {
    yield { kind: "element", name: tag[1]! };
    for (const attribute of (tag[2] ?? "").matchAll(/([^\s=]+)\s*=/g)) yield { kind: "attribute", name: attribute[1]! };
  }
}

/**
 * What a SAML EntityDescriptor tells us before anything is sent: its entityID (the clientId) and that
 * it describes an SP. Hostile input fails here with a reason, never with a crash: a DTD (entity
 * expansion, external entities) is refused before parsing, and so are names that would reach an
 * object's prototype.
 */
export function parseEntityDescriptor(xml: string): { entityId: string } | { problem: string } {
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) {
    return { problem: "entityDescriptor must not contain a DOCTYPE or entity declarations: SAML metadata needs neither, and they can expand without bound or read local files" };
  }
  const { XMLParser, XMLValidator } = xmlLib();
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    return { problem: `entityDescriptor is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})` };
  }
  for (const { kind, name } of xmlNames(xml)) {
    const local = name.slice(name.indexOf(":") + 1);
    if (RESERVED_NAMES.has(local)) return { problem: `entityDescriptor has an ${kind} named "${name}", which SAML metadata does not define; remove it` };
  }
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, attributeNamePrefix: "@", processEntities: false, htmlEntities: false }).parse(xml) as Record<string, unknown>;
  } catch (e) {
    return { problem: `entityDescriptor could not be read: ${(e as Error).message}` };
  }
  const root = Object.hasOwn(doc, "EntityDescriptor") ? (doc.EntityDescriptor as Record<string, unknown> | undefined) : undefined;
  if (!root || typeof root !== "object") {
    return { problem: "entityDescriptor must have an <EntityDescriptor> root element (urn:oasis:names:tc:SAML:2.0:metadata)" };
  }
  const entityId = Object.hasOwn(root, "@entityID") ? root["@entityID"] : undefined;
  if (typeof entityId !== "string" || entityId.trim() === "") {
    return { problem: "entityDescriptor's <EntityDescriptor> needs an entityID attribute: it becomes the clientId" };
  }
  const segment = pathSegmentProblem("entityDescriptor's entityID (the clientId)", entityId);
  if (segment) return { problem: segment };
  if (!Object.hasOwn(root, "SPSSODescriptor")) {
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
