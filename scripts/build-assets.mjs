// Copies the front-end libraries Backstep serves from node_modules (installed
// from the npm registry at the versions pinned in package-lock.json) into
// assets/vendor/, which Django collects as static files. Nothing copied here is
// committed: assets/ is ignored by git and rebuilt by `make run` and CI.
import { copyFileSync, mkdirSync, existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "assets", "vendor");

// [source inside node_modules, destination inside assets/vendor]
const files = [
  ["bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"],
  ["bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/bootstrap.min.css.map"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/bootstrap.bundle.min.js.map"],
  ["chart.js/dist/chart.umd.min.js", "chartjs/chart.umd.min.js"],
  ["chart.js/dist/chart.umd.min.js.map", "chartjs/chart.umd.min.js.map"],
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  // Swagger UI for /api/docs/, served locally instead of drf-spectacular's CDN default.
  ...["swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"].flatMap((name) => [
    [`swagger-ui-dist/${name}`, `swagger-ui/${name}`],
    [`swagger-ui-dist/${name}.map`, `swagger-ui/${name}.map`],
  ]),
  ["swagger-ui-dist/favicon-32x32.png", "swagger-ui/favicon-32x32.png"],
];

rmSync(out, { recursive: true, force: true });
let missing = 0;
for (const [src, dest] of files) {
  const from = join(root, "node_modules", src);
  if (!existsSync(from)) {
    console.error(`missing ${from}: run "npm ci" first`);
    missing += 1;
    continue;
  }
  const to = join(out, dest);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}
if (missing) process.exit(1);
console.log(`front-end assets: ${files.length} files in assets/vendor`);
