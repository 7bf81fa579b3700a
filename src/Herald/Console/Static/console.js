// The Herald console's only script, served from /console/static: the console's Content-Security-Policy forbids inline script.
// A form with data-confirm asks before it submits. The question is read from the attribute as text and shown by confirm(),
// which renders text only, so a connector named '+(window.x=1)+' or <b>x</b> is shown literally and never runs.
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-confirm')) return;
  if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
});

// The delivery log's auto-refresh (its first page only): every 10 seconds, while the box is ticked and the tab is visible, the page is
// fetched again from Herald and its log replaced by the new one. The HTML is Herald's own, parsed inertly (DOMParser runs no script).
// Without JavaScript the control stays hidden and the page is reloaded by hand.
(function () {
  var box = document.querySelector('[data-autorefresh]');
  var log = document.querySelector('[data-log]');
  if (!box || !log) return;
  document.querySelector('[data-autorefresh-control]').hidden = false;
  window.setInterval(function () {
    if (!box.checked || document.hidden) return;
    window.fetch(window.location.href, { credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('[data-log]');
        var current = document.querySelector('[data-log]');
        if (fresh && current) current.replaceWith(document.adoptNode(fresh));
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ });
  }, 10000);
})();
