// Starts the Pulse web app. Kept in a file (not inline) so the server's CSP can forbid
// inline scripts. Trunk replaces the rust <link> with
// <meta name="pulse-app" data-js="/pulse-frontend-<hash>.js" data-wasm="/…_bg.wasm">.
"use strict";
(function () {
  var root = document.documentElement;

  // Apply the stored theme before the first paint (theme.rs owns the same key).
  try {
    var theme = window.localStorage.getItem("pulse.theme");
    if (theme === "light" || theme === "dark" || theme === "system") {
      root.setAttribute("data-theme", theme);
    }
  } catch (ignored) {
    // Storage can be blocked; the system theme applies then.
  }

  function fail(error) {
    console.error("Pulse could not start", error);
    var message = document.getElementById("boot-error");
    if (message) {
      message.hidden = false;
    }
  }

  function start() {
    var app = document.querySelector('meta[name="pulse-app"]');
    if (!app) {
      fail(new Error("missing <meta name=pulse-app>"));
      return;
    }
    import(app.getAttribute("data-js"))
      .then(function (bindings) {
        return bindings.default({ module_or_path: app.getAttribute("data-wasm") });
      })
      .catch(fail);
  }

  // The app mounts into <body>, so wait until it is parsed.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
