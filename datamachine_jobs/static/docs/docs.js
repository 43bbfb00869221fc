// The API's live docs: Swagger UI on the service's own OpenAPI document, every file served by
// the service itself. "Try it out" works with Basic auth (Authorize: a username and an
// application password) or, in a browser signed in to the dashboard, with that session: its
// cookie goes along by itself and its nonce is fetched here.
(function () {
  var root = window.location.pathname.replace(/\/docs$/, '');
  var ui = SwaggerUIBundle({
    url: root + '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    displayOperationId: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    onComplete: function () {
      fetch(root + '/session', { credentials: 'same-origin' })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (body) { if (body) { ui.preauthorizeApiKey('nonce', body.data.nonce); } })
        .catch(function () { /* not signed in: Basic auth through Authorize */ });
    },
  });
  window.ui = ui;
})();
