// Starts Swagger UI on /api/docs/ from our own file rather than an inline
// script, so the page works under the Content-Security-Policy (script-src
// 'self'). templates/drf_spectacular/swagger_ui.html puts the configuration in
// data- attributes on #swagger-ui.
(() => {
  "use strict";
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle === "undefined") return;
  const config = root.dataset;
  const readOnly = ["GET", "HEAD", "OPTIONS"];

  window.ui = window.SwaggerUIBundle({
    url: config.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // The validator badge would load an image from validator.swagger.io; nothing leaves our host.
    validatorUrl: null,
    requestInterceptor: (request) => {
      // "Try it out" with the signed-in session: Django wants the CSRF token on writes.
      if (!readOnly.includes((request.method || "GET").toUpperCase()) && config.csrfToken) {
        request.headers[config.csrfHeader] = config.csrfToken;
      }
      return request;
    },
    ...JSON.parse(config.settings || "{}"),
  });
})();
