// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "test/.tmp/", "bench/.tmp/", "coverage/", "docs/api/", "examples/**/node_modules/", "examples/**/bin/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      // The serialized provider shell must call require() at run time; see provider/resources/shell.ts.
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    // A failed `expect(p).rejects` prints what p resolved to: a provider's state, tokens in plaintext.
    files: ["test/integration/**/*.ts", "test/e2e/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "MemberExpression[property.name='rejects']", message: "Use rejection() from test/support/rejection: `.rejects` prints the resolved value (tokens) when the call succeeds." },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
    languageOptions: {
      globals: { require: "readonly", module: "writable", exports: "writable", process: "readonly", __dirname: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", URL: "readonly" },
    },
  },
);
