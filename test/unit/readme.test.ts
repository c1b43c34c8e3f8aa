import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS, CONFIG_NAMESPACE } from "../../provider/schema/connection";
import { CLIENT_FIELDS } from "../../provider/schema/keycloakClient";

const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");

describe("the README's reference cannot drift from the schemas", () => {
  test.each(Object.keys(CONFIG_KEYS))("config key %s is documented", (key) => {
    expect(readme).toContain(`\`${CONFIG_NAMESPACE}:${key}\``);
  });

  test("the README documents no config key the provider does not read", () => {
    const documented = [...readme.matchAll(new RegExp(`\`${CONFIG_NAMESPACE}:([A-Za-z]+)\``, "g"))].map((m) => m[1]);
    expect(documented.filter((k) => !(k! in CONFIG_KEYS))).toEqual([]);
  });

  test.each(CLIENT_FIELDS as string[])("KeycloakClient argument %s is documented", (field) => {
    expect(readme).toMatch(new RegExp(`\\|[^\\n]*\`${field}\`[^\\n]*\\|`));
  });
});
