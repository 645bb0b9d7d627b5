// tradeinbox progressive enhancement. Every page works without this file; it only
// makes some things quicker. Loaded as a static file (the CSP forbids inline script).
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // The language menu switches as soon as a language is picked.
  function autosubmit(root) {
    root.querySelectorAll("select.js-autosubmit").forEach(function (select) {
      if (select.dataset.bound) return;
      select.dataset.bound = "1";
      select.addEventListener("change", function () {
        if (select.form) select.form.submit();
      });
    });
  }

  // The message iframe is sandboxed without scripts, so it cannot size itself;
  // it is same-origin (allow-same-origin) so we can measure it from here.
  function fitFrame(frame) {
    try {
      var doc = frame.contentDocument;
      if (!doc || !doc.documentElement) return;
      // documentElement.scrollHeight never goes below the frame's own height,
      // so measure the content boxes instead.
      var height = Math.ceil(Math.max(
        doc.documentElement.getBoundingClientRect().height,
        doc.body ? doc.body.scrollHeight : 0
      ));
      if (height > 0) frame.style.height = Math.min(height + 8, 20000) + "px";
    } catch (e) {
      // Not same-origin (should not happen): keep the CSS height with a scroll bar.
    }
  }

  function bindFrames(root) {
    root.querySelectorAll("iframe.message-frame").forEach(function (frame) {
      if (frame.dataset.bound) return;
      frame.dataset.bound = "1";
      frame.addEventListener("load", function () {
        fitFrame(frame);
        // Images arrive after load; refit when they do.
        try {
          frame.contentDocument.querySelectorAll("img").forEach(function (img) {
            img.addEventListener("load", function () { fitFrame(frame); });
          });
        } catch (e) { /* ignore */ }
      });
      fitFrame(frame);
    });
  }

  function init(root) {
    autosubmit(root);
    bindFrames(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target || document); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("iframe.message-frame").forEach(fitFrame);
  });

  // "/" jumps to the search box, as in most mail clients.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(input|textarea|select)$/i.test(target.tagName))) return;
    var box = document.getElementById("search-page-input") || document.getElementById("global-search");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
})();
