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
    // The restored sign-in's text, once it has come: the app, when it starts after that
    // (its code takes longer to download), starts signed in without waiting
    // (api/client.rs, `signed_in_early`).
    var restored = window.pulseRestoring
      .then(function (response) {
        return response.status === 200 ? response.clone().text() : null;
      })
      .catch(function () {
        return null;
      });
    // Settled once the sign-in's text is kept: the app waits for it a little before it
    // draws (api/client.rs, `sign_in_known`).
    window.pulseRestored = restored.then(function (text) {
      if (text !== null) {
        window.pulseSignedIn = text;
      }
    });
    askEarly(restored);
  }

  // The data the page opened first shows, asked for as soon as the sign-in is restored,
  // while the app's code still downloads: `window.pulseEarly[url]` is a promise of the
  // answer (or of null), which the app takes the first time it asks for that URL
  // (api/client.rs, `early_answer`).
  function askEarly(restored) {
    var urls = { "/": ["/api/v1/overview", "/api/v1/me/monitoring"] }[window.location.pathname];
    if (!urls) {
      return;
    }
    var session = restored.then(function (text) {
      try {
        return text === null ? null : JSON.parse(text);
      } catch (ignored) {
        return null;
      }
    });
    window.pulseEarly = {};
    urls.forEach(function (url) {
      window.pulseEarly[url] = session
        .then(function (signedIn) {
          if (!signedIn || typeof signedIn.access_token !== "string") {
            return null;
          }
          return window.fetch(url, {
            headers: {
              Accept: "application/json",
              Authorization: "Bearer " + signedIn.access_token,
            },
            credentials: "same-origin",
          });
        })
        .catch(function () {
          return null;
        });
    });
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

  var app = document.querySelector('meta[name="pulse-app"]');

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
