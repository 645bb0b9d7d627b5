// Compose page helpers (static file: the CSP forbids inline script). The page works
// without it; this only reports attachment names to the live check before upload,
// jumps to a finding's text and applies the recommended recipients.
(function () {
  "use strict";

  function form() { return document.getElementById("compose-form"); }

  // The live check runs before anything is uploaded, so tell it which files are chosen.
  function reportAttachments() {
    var f = form();
    if (!f) return;
    var input = f.querySelector("input[type=file][name=attachments]");
    var meta = f.querySelector("input[name=attachment_meta]");
    if (!input || !meta) return;
    var files = Array.prototype.map.call(input.files || [], function (file) {
      return { name: file.name, size: file.size, type: file.type };
    });
    meta.value = JSON.stringify(files);
  }

  function setField(name, value) {
    var field = form() && form().querySelector("[name=" + name + "]");
    if (!field) return;
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Select a finding's span in the text box (offsets are in the body as typed).
  function selectSpan(start, end) {
    var body = document.getElementById("id_body");
    if (!body || isNaN(start) || isNaN(end) || start >= body.value.length) return;
    body.focus();
    body.setSelectionRange(start, Math.min(end, body.value.length));
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.matches("input[type=file][name=attachments]")) {
      reportAttachments();
    }
  }, true);  // capture: runs before the change reaches htmx's listener on the form

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest(".js-select-span, .js-use-recipients, mark[data-findings]");
    if (!target) return;
    if (target.classList.contains("js-select-span")) {
      selectSpan(parseInt(target.dataset.start, 10), parseInt(target.dataset.end, 10));
    } else if (target.classList.contains("js-use-recipients")) {
      setField("to", target.dataset.to || "");
      setField("cc", target.dataset.cc || "");
    } else if (target.dataset.findings) {
      var first = document.getElementById("finding-" + target.dataset.findings.split(" ")[0]);
      if (first) first.scrollIntoView({ block: "nearest" });
    }
  });

  document.addEventListener("DOMContentLoaded", reportAttachments);
})();
