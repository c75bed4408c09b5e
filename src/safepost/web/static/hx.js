/* safepost's own small page updater. It understands a subset of htmx's attributes (hx-get,
   hx-post, hx-target, hx-swap, hx-select) so that forms update part of the page without a
   reload; every page also works without it. Each request carries the session's CSRF token in
   X-CSRF-Token.
   Written for safepost (MIT); no code from other projects. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function targetOf(el) {
    var selector = el.getAttribute("hx-target");
    if (!selector || selector === "this") return el;
    if (selector.indexOf("closest ") === 0) return el.closest(selector.slice(8));
    return document.querySelector(selector);
  }

  function announce(html, isError) {
    var box = document.getElementById("messages");
    if (!box) return;
    box.innerHTML = html;
    if (isError) box.focus();
  }

  function setBusy(el, busy) {
    document.body.classList.toggle("busy", busy);
    el.setAttribute("aria-busy", busy ? "true" : "false");
    el.querySelectorAll("button, input[type=submit]").forEach(function (b) {
      b.disabled = busy;
      var text = b.getAttribute("data-busy-text");  /* e.g. "Preparing… this can take a minute" */
      if (!text) return;
      if (busy) {
        b.setAttribute("data-idle-text", b.textContent);
        b.textContent = text;
      } else if (b.hasAttribute("data-idle-text")) {
        b.textContent = b.getAttribute("data-idle-text");
      }
    });
    el.querySelectorAll("[data-busy-notice]").forEach(function (n) { n.hidden = !busy; });
  }

  function swap(target, html, how, select) {
    if (select) {
      var part = new DOMParser().parseFromString(html, "text/html").querySelector(select);
      if (part) html = part.innerHTML;
    }
    if (how === "outerHTML") {
      target.outerHTML = html;
    } else {
      target.innerHTML = html;
    }
    var notice = document.querySelector("[data-notice]");
    if (notice) {
      announce("<p class=\"notice\">" + notice.textContent.replace(/[<>&]/g, "") + "</p>", false);
      notice.remove();
    } else if (!target.querySelector || !target.querySelector("#messages")) {
      announce("", false);  /* an older message no longer applies */
    }
    document.dispatchEvent(new CustomEvent("hx:swapped", { detail: { target: target } }));
  }

  function go(url) {
    var target = new URL(url, window.location.href);
    var here = window.location;
    if (target.pathname === here.pathname && target.search === here.search) {
      here.hash = target.hash;
      here.reload();  /* same page: a new hash alone would not load the new state */
    } else {
      here.assign(target.href);
    }
  }

  function send(el, method, url, body) {
    setBusy(el, true);
    var headers = { "HX-Request": "true", "X-CSRF-Token": csrfToken() };
    return fetch(url, { method: method, body: body, headers: headers, credentials: "same-origin" })
      .then(function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (redirect) { go(redirect); return; }
        return response.text().then(function (html) {
          if (!response.ok) { announce(html, true); return; }
          var target = targetOf(el);
          if (target) swap(target, html, el.getAttribute("hx-swap") || "innerHTML", el.getAttribute("hx-select"));
        });
      })
      .catch(function () {
        announce("<p class=\"error\" role=\"alert\">safepost did not answer. Is it still running?</p>", true);
      })
      .finally(function () { if (document.body.contains(el)) setBusy(el, false); else document.body.classList.remove("busy"); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[hx-post]");
    if (!form) return;
    event.preventDefault();
    send(form, "POST", form.getAttribute("hx-post"), new FormData(form, event.submitter || undefined));
  });

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[hx-get]");
    if (!el || el.tagName === "FORM") return;
    event.preventDefault();
    send(el, "GET", el.getAttribute("hx-get"), undefined);
  });
})();
