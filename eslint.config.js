import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      ".memstore/**",
      "**/.next/**",
      "**/.next-*/**",
      "apps/web/next-env.d.ts",
      "test/artifacts/**",
      "bench/results/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Type-checked rules everywhere: a promise left floating, a misused one, an await of a non-promise,
  // a needless assertion are errors in tests as in the product.
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ["**/*.ts", "**/*.tsx"] })),
  {
    // A test reads what the API answered as JSON (`await response.json()` is `any`) and asserts on
    // it; typing each body would restate the contract the test is there to check. The `any` rules
    // hold the product's code, not the tests'.
    files: ["test/**/*.ts", "**/*.test.ts", "**/*.test.tsx", "**/testing/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An async method that implements a promise-returning contract (an embedder, a job producer)
      // without awaiting keeps its throws as rejections, which its callers rely on.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      // `interface Jobs extends RegisteredJobs {}` is how the workers register their jobs (@memstore/queue).
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
    },
  },
  {
    files: ["apps/web/app/**/*.tsx"],
    plugins: { "react-hooks": reactHooks },
    rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "warn" },
  },
  { files: ["**/*.js"], languageOptions: { globals: { process: "readonly", console: "readonly" } } },
);
