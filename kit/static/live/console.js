/* The console's part of kit's live client (after common.js): its buttons and forms send the
   facilitator's commands, and the server's notices (the chat webhook's) show beside the links.
   data-action="next" sends `next`; data-act="defer" sends `act` with action "defer";
   data-moderate="hide" sends `moderate` with action "hide"; data-control="lock_joining" sends
   `control`; data-id, data-step-id, data-participant-id and a form's fields go along. */
(function () {
  'use strict';
  var kit = window.kit;
  var body = kit.body;
  var texts = kit.texts;
  var socket = kit.socket;

  kit.focusAcrossSteps = true;  // the facilitator stays on what they pressed

  socket.on('notice', function (notice) {
    var message = document.getElementById('console-message');
    if (!message) return;
    message.textContent = notice.message;
    message.className = notice.ok ? 'notice' : 'error';
    message.hidden = false;
  });

  // who joined and who is connected, redrawn alone (coalesced) as phones come and go
  socket.on('people', function (event) {
    var list = document.getElementById('console-people');
    if (list && event.version >= kit.version) list.innerHTML = event.html;
  });

  // what is under a card's "More" is drawn by the server when it is opened (`item_menu`), not
  // carried by every card; opened again after a redraw, it is asked for again, and what was open,
  // typed or focused in it comes back (kit.filled)
  document.addEventListener('toggle', function (event) {
    var menu = event.target;
    if (!menu.open || !menu.hasAttribute || !menu.hasAttribute('data-menu-for')) return;
    var part = menu.querySelector('.item-menu-body');
    if (!part || part.hasAttribute('data-filled') || part.hasAttribute('data-asking')) return;
    part.setAttribute('data-asking', '');
    part.textContent = texts.loading;
    var id = parseInt(menu.getAttribute('data-menu-for'), 10);
    socket.timeout(10000).emit('item_menu', { id: id }, function (timedOut, ack) {
      part.removeAttribute('data-asking');
      if (!timedOut && ack.ok) {
        part.innerHTML = ack.html;
        part.setAttribute('data-filled', '');
        kit.filled(part);
        return;
      }
      // said in the menu; closing and opening it asks again
      part.textContent = timedOut ? texts.noAnswer : ack.error.message;
    });
  }, true);  // toggle does not bubble: heard on its way down

  function consoleCommand(element) {
    if (element.hasAttribute('data-action')) return { event: element.getAttribute('data-action'), payload: {} };
    if (element.hasAttribute('data-act')) return { event: 'act', payload: { action: element.getAttribute('data-act') } };
    if (element.hasAttribute('data-control')) return { event: 'control', payload: { action: element.getAttribute('data-control') } };
    // the room's pace: the screen's pages, the step's timer, its introduction
    if (element.hasAttribute('data-page')) return { event: 'page', payload: { action: element.getAttribute('data-page') } };
    if (element.hasAttribute('data-timer')) return { event: 'timer', payload: { action: element.getAttribute('data-timer') } };
    if (element.hasAttribute('data-intro')) return { event: 'intro', payload: { mode: element.getAttribute('data-intro') } };
    return { event: 'moderate', payload: { action: element.getAttribute('data-moderate') } };
  }
  // the list of people holds the question once; the name is the one its line shows
  function removeQuestion(element) {
    var list = element.closest('[data-confirm-remove]');
    var line = element.closest('li');
    var name = line && line.querySelector('.person-name');
    if (!list || !name || element.getAttribute('data-control') !== 'remove') return null;
    return list.getAttribute('data-confirm-remove').split('{name}').join(name.textContent);
  }
  function runCommand(element, fields, done) {
    var question = element.getAttribute('data-confirm') || removeQuestion(element);
    if (question && !window.confirm(question)) { done(false); return; }
    var command = consoleCommand(element);
    if (element.hasAttribute('data-step-id')) command.payload.step_id = parseInt(element.getAttribute('data-step-id'), 10);
    if (element.hasAttribute('data-id')) command.payload.id = parseInt(element.getAttribute('data-id'), 10);
    if (element.hasAttribute('data-participant-id')) command.payload.participant_id = parseInt(element.getAttribute('data-participant-id'), 10);
    if (element.hasAttribute('data-decision')) command.payload.decision = element.getAttribute('data-decision') === 'true';
    Object.keys(fields).forEach(function (name) { command.payload[name] = fields[name]; });
    var step = kit.step;
    if (step && ['next', 'previous', 'act', 'timer', 'intro'].indexOf(command.event) !== -1) {
      command.payload.at = { step_id: step.id, step_version: step.version };
    }
    var message = document.getElementById('console-message');
    socket.timeout(10000).emit(command.event, command.payload, function (timedOut, ack) {
      var problem = timedOut ? texts.noAnswer : (ack.ok ? '' : ack.error.message);
      if (message) { message.textContent = problem; message.className = 'error'; message.hidden = !problem; }
      if (!timedOut && !ack.ok && ack.error.code === 'stale_step') kit.resync();
      done(!problem);
    });
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-action], button[data-act], button[data-moderate], button[data-control], button[data-page], button[data-timer], button[data-intro]');
    if (!button) return;
    kit.pressed = kit.focusKey(button);  // disabled while its command is on its way, it loses the focus
    button.disabled = true;
    runCommand(button, {}, function (ok) {
      button.disabled = false;
      // disabling took the focus away; the answer may come before or after the redraw
      if (document.contains(button) && (!document.activeElement || document.activeElement === body)) button.focus();
      if (!ok) kit.pressed = null;
    });
  });
  document.addEventListener('submit', function (event) {
    var form = event.target.closest('form[data-act], form[data-moderate], form[data-action], form[data-control], form[data-timer]');
    if (!form) return;
    event.preventDefault();
    var fields = {};
    var inputs = form.querySelectorAll('[name]');
    for (var i = 0; i < inputs.length; i++) {
      fields[inputs[i].name] = inputs[i].type === 'number' ? parseInt(inputs[i].value, 10) : inputs[i].value;
    }
    var draft = form.getAttribute('data-draft');
    runCommand(form, fields, function (ok) {
      if (ok && draft) kit.forgetDraft(draft);
      // a form that says when it is saved (the step's summary) keeps its text; found again, as the
      // console may have been redrawn meanwhile
      var shown = draft ? document.querySelector('form[data-draft="' + draft + '"] [data-done]') : null;
      if (ok && !shown && !form.querySelector('[data-done]')) form.reset();
      if (ok && shown) shown.textContent = shown.getAttribute('data-done');
    });
  });

  // which page the screen shows ("Screen: page 2 / 5, paused"), as the screen tells it
  var screenPage = null;
  function showScreenPage() {
    var el = document.getElementById('screen-now');
    if (!el || !screenPage || !kit.step || screenPage.step_id !== kit.step.id) return;
    var text = el.getAttribute('data-page-word') + ' ' + screenPage.page + ' / ' + screenPage.pages;
    if (screenPage.paused) text += ', ' + el.getAttribute('data-paused');
    if (screenPage.blank) text += ', ' + el.getAttribute('data-blank');
    el.textContent = text;
  }
  socket.on('screen_page', function (report) { screenPage = report; showScreenPage(); });
  kit.onDraw(showScreenPage);

  kit.start();
})();
