// Submits the page's only form at once (OpenID Connect form_post hand-offs); with the
// Content-Security-Policy no inline handler may do it. A <noscript> button stays as fallback.
document.addEventListener("DOMContentLoaded", function () {
  document.forms[0].submit();
});
