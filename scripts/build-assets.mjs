// Copies the front-end libraries Backstep serves from node_modules (installed
// from the npm registry at the versions pinned in package-lock.json) into
// assets/vendor/, which Django collects as static files. Nothing copied here is
// committed: assets/ is ignored by git and rebuilt by `make run` and CI.
import { copyFileSync, mkdirSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { PurgeCSS } from "purgecss";

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

// The service worker's code: Workbox's modules (pinned in package-lock.json) bundled with ours into one
// same-origin file, which /sw.js imports (patients/views/pwa.py). Never Workbox's CDN loader.
const pwaOut = join(root, "assets", "pwa");
rmSync(pwaOut, { recursive: true, force: true });
await build({
  entryPoints: [join(root, "pwa", "sw.js")],
  outfile: join(pwaOut, "sw-bundle.js"),
  bundle: true, minify: true, format: "iife", target: ["chrome100", "safari16"],
  define: { "process.env.NODE_ENV": '"production"' }, legalComments: "none", logLevel: "warning",
});
console.log("service worker: assets/pwa/sw-bundle.js");


// Patient pages load Bootstrap cut down to the rules their templates and scripts use (PurgeCSS, pinned):
// templates/base.html gives them bootstrap.patient.min.css. Staff pages keep the whole stylesheet.
// Every template is read (the phone's questionnaire, reminders, join and download pages live in other apps'
// folders), so a new patient page's classes are kept without a change here; staff-only rules cost a few KiB.
const [purged] = await new PurgeCSS().purge({
  css: [join(root, "node_modules", "bootstrap", "dist", "css", "bootstrap.min.css")],
  content: [
    "templates/**/*.html", "*/templates/**/*.html", "*/templatetags/*.py", "static/js/*.js", "*/static/**/*.js",
  ].map((glob) => join(root, glob)),
  // Classes only scripts add (menu open, validation) and Bootstrap's state classes.
  safelist: { standard: ["show", "collapsing", "active", "disabled", /^alert-/, /^is-(in)?valid$/, /^was-validated$/] },
  variables: true, keyframes: true, fontFace: true,
});
writeFileSync(join(out, "bootstrap", "bootstrap.patient.min.css"), purged.css);
console.log(`patient stylesheet: ${(purged.css.length / 1024).toFixed(1)} KiB before compression`);
