// The "Copy" button on the page that shows a new agent key once. Without JS the key
// is still there to select by hand, so the button stays hidden until this runs.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-from]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copyFrom);
    var status = document.querySelector("[data-copy-status]");
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      field.focus();
      field.select();
      var done = function (ok) {
        if (status) status.textContent = ok ? "Copied to the clipboard." : "Copy failed: select the key and copy it by hand.";
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { done(false); });
      } else {
        // Plain-HTTP deployments have no Clipboard API; the selection still works.
        done(document.execCommand && document.execCommand("copy"));
      }
    });
  });
})();
