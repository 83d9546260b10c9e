// ESLint (flat config, pinned in package.json): the browser modules and their node tests. `npm run lint`.
import js from "@eslint/js";

// What the modules use of the browser, and the tests of node: named here rather than a whole list.
const BROWSER = [
  "window", "document", "performance", "requestAnimationFrame", "setTimeout", "clearTimeout", "atob", "Image",
  "ImageData", "MutationObserver", "ResizeObserver", "NodeFilter", "URLSearchParams", "console",
];
const NODE = ["URL", "console", "process", "atob"];
const globals = (names) => Object.fromEntries(names.map((name) => [name, "readonly"]));

export default [
  { ignores: ["node_modules/", ".venv/", ".cache/"] },
  js.configs.recommended,
  {
    files: ["cnnattn/webapp/static/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals(BROWSER) },
  },
  {
    files: ["tests/js/**/*.js", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals(NODE) },
  },
  {
    rules: {
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: "error",
      "no-shadow": "error",  // a parameter hiding an import once broke link(): no name hides another
      "no-implicit-globals": "error",
    },
  },
];
