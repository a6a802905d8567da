// Starts the Pulse web app. Kept in a file (not inline) so the server's CSP can forbid
// inline scripts. `cargo xtask` writes
// <meta name="pulse-app" data-js="/app-<hash>/pulse-frontend.js" data-wasm="/app-<hash>/…_bg.wasm">
// into the page. It also shows the page's own message when the app stops (a panic ends
// the WASM instance: what remains is this script and the HTML).
"use strict";
(function () {
  var root = document.documentElement;

  // The app's first question, asked while its code downloads: is there a sign-in to
  // restore? The app takes this answer instead of asking again (api/client.rs,
  // `early_refresh`), which saves a round trip before the first page draws.
  if (typeof window.fetch === "function") {
    window.pulseRestoring = window.fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    // Read by the app; a failure is its to report.
    window.pulseRestoring.catch(function () {});
  }

  // Apply the stored theme before the first paint (theme.rs owns the same key).
  try {
    var theme = window.localStorage.getItem("pulse.theme");
    if (theme === "light" || theme === "dark" || theme === "system") {
      root.setAttribute("data-theme", theme);
    }
  } catch (ignored) {
    // Storage can be blocked; the system theme applies then.
  }

  function show(id) {
    var message = document.getElementById(id);
    if (message) {
      message.hidden = false;
    }
  }

  function fail(error) {
    console.error("Pulse could not start", error);
    show("boot-error");
  }

  // A panic aborts the app with a WebAssembly RuntimeError ("unreachable"), thrown from
  // whatever called into it last (an event, a timer, a promise).
  function stopped(error) {
    if (typeof WebAssembly !== "undefined" && error instanceof WebAssembly.RuntimeError) {
      show("app-stopped");
    }
  }
  window.addEventListener("error", function (event) {
    stopped(event.error);
  });
  window.addEventListener("unhandledrejection", function (event) {
    stopped(event.reason);
  });

  function wireReloads() {
    var buttons = document.querySelectorAll("[data-reload]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () {
        window.location.reload();
      });
    }
  }

  function start() {
    wireReloads();
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
