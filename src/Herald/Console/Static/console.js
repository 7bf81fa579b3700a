// The Herald console's only script, served from /console/static: the console's Content-Security-Policy forbids inline script.
// A form with data-confirm asks before it submits. The question is read from the attribute as text and shown by confirm(),
// which renders text only, so a connector named '+(window.x=1)+' or <b>x</b> is shown literally and never runs.
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-confirm')) return;
  if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
});
