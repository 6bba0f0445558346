/* The minutes editor's live preview: the server renders the Markdown exactly as the published page
   will (and makes it safe); this script only asks it again, a moment after typing stops. */
(function () {
  'use strict';
  var form = document.getElementById('minutes-form');
  var preview = document.getElementById('minutes-preview');
  if (!form || !preview || !window.fetch) return;
  var source = document.getElementById('minutes');
  var timer = null;
  source.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var body = new URLSearchParams();
      body.append('key', form.querySelector('[name="key"]').value);
      body.append('minutes', source.value);
      fetch(form.getAttribute('data-preview'), { method: 'POST', body: body, credentials: 'same-origin' })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) preview.innerHTML = html; })
        .catch(function () { /* the preview waits for the next keystroke */ });
    }, 400);
  });
})();
