import * as fs from "node:fs";
import * as path from "node:path";
import { diffSamlClient, normalizeDescriptor, SamlClientState } from "../../provider/dynamic/samlDiff";
import { problemsFrom } from "../../provider/schema/issues";
import { parseEntityDescriptor, samlClientArgsSchema } from "../../provider/schema/samlClient";

const descriptor = fs.readFileSync(path.join(__dirname, "..", "fixtures", "sp-entity-descriptor.xml"), "utf8");
const where = { serverUrl: "https://sso.example.com", realm: "demo" };

function problems(entityDescriptor: string) {
  const r = samlClientArgsSchema.safeParse({ ...where, entityDescriptor });
  return r.success ? [] : problemsFrom(samlClientArgsSchema, r.error);
}

describe("SAML entity descriptors", () => {
  test("a service provider's descriptor is accepted and its entityID becomes the clientId", () => {
    expect(parseEntityDescriptor(descriptor)).toEqual({ entityId: "https://sp.example.com/saml" });
    expect(problems(descriptor)).toEqual([]);
  });

  test("malformed XML is rejected in check, naming the field, line and column", () => {
    expect(problems("<md:EntityDescriptor entityID='x'><md:SPSSODescriptor></md:EntityDescriptor>")).toEqual([
      { property: "entityDescriptor", reason: expect.stringMatching(/^entityDescriptor is not well-formed XML: .*line 1/) },
    ]);
  });

  test("a descriptor without entityID, without an SP, or of another root is rejected", () => {
    expect(problems(descriptor.replace(/ entityID="[^"]+"/, ""))[0]?.reason).toContain("entityID");
    expect(problems(descriptor.replace(/SPSSODescriptor/g, "IDPSSODescriptor"))[0]?.reason).toContain("SPSSODescriptor");
    expect(problems("<html><body/></html>")[0]?.reason).toContain("<EntityDescriptor> root");
  });

  test("reformatting the descriptor is no change; a new one replaces the client", () => {
    const settings = { redirectUris: ["https://sp.example.com/saml/acs"], webOrigins: [], attributes: { "saml.force.post.binding": "true" } };
    const olds: SamlClientState = { ...where, clientId: "https://sp.example.com/saml", entityDescriptor: descriptor, registered: settings, observed: settings };
    expect(diffSamlClient(olds, { ...where, entityDescriptor: descriptor.replace(/\n\s*/g, "\n") })).toEqual({ replaces: [], drifted: false });
    expect(normalizeDescriptor(descriptor)).not.toContain("\n");
    const moved = descriptor.replace("saml/acs", "saml/consume");
    expect(diffSamlClient(olds, { ...where, entityDescriptor: moved }).replaces).toEqual(["entityDescriptor"]);
  });

  test("drift of what Keycloak derived from the descriptor is a change to put back", () => {
    const registered = { redirectUris: ["https://sp.example.com/saml/acs"], webOrigins: [], attributes: { a: "1" } };
    const olds: SamlClientState = { ...where, clientId: "x", entityDescriptor: descriptor, registered, observed: { ...registered, attributes: { a: "1", b: "2" } } };
    expect(diffSamlClient(olds, { ...where, entityDescriptor: descriptor }).drifted).toBe(true);
  });
});
