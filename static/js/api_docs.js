// The API's interactive docs (templates/api/docs.html), drawn by the vendored Swagger UI.
// The API takes only "Authorization: Bearer <token>": the Authorize button asks for a
// personal token from the profile page; no cookie or CSRF token is sent.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  config.requestInterceptor = function (request) {
    request.credentials = "omit";
    return request;
  };
  window.ui = SwaggerUIBundle(config);
})();
