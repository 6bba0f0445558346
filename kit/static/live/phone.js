/* The phone's part of kit's live client: outbox, kept text, name, own contributions, votes. */
(function () {
  'use strict';
  var kit = window.kit;
  var stage = kit.stage;
  var texts = kit.texts;
  var socket = kit.socket;

  var me = null;          // the phone's own name, structure, territory
  var mine = [];          // the phone's acknowledged contributions
  var myVotes = {};       // contribution id → true, for what this phone supports
  var anonymousAllowed = false;  // whether the facilitator lets people send without a name
  var OUTBOX = 'kit-outbox-' + kit.code;
  var KEPT = 'kit-kept-' + kit.code;
  var outbox = kit.load(window.localStorage, OUTBOX, []);
  var kept = kit.load(window.sessionStorage, KEPT, []);  // text not sent because the step changed

  socket.on('disconnect', renderMine);  // what is not sent yet now says it waits for the link
  kit.onConnectError(function (data) {
    if (data.code === 'unknown_identity' || data.code === 'unknown_participant') { joinAgain(data.message); return true; }
    if (data.code === 'removed') { sentAway(data.message); return true; }
  });
  // the facilitator removed this phone's person: say so plainly, stop connecting and offering to send
  function sentAway(message) {
    leaveWith(message);
    renderKept();
    renderMine();
  }
  // this phone is no longer anyone in the meeting: stop, forget what it kept, say why on the page
  function leaveWith(message) {
    kit.stop(message, texts.stopped);  // the status line says it short; the page says it all
    forgetHere();
    stage.innerHTML = '';
    var note = document.createElement('p');
    note.className = 'message';
    note.setAttribute('role', 'alert');
    note.textContent = message;
    stage.appendChild(note);
  }
  socket.on('removed', function (notice) { sentAway(notice.message); });
  // something for this person alone (their news accepted): said once, until they close it
  socket.on('notice', function (notice) {
    var box = document.getElementById('personal-notice');
    if (!box || !notice || !notice.message) return;
    document.getElementById('personal-notice-text').textContent = notice.message;
    box.hidden = false;
  });
  var noticeOk = document.getElementById('personal-notice-ok');
  if (noticeOk) noticeOk.addEventListener('click', function () { document.getElementById('personal-notice').hidden = true; });
  // what this phone kept for the meeting: of no use once it is no longer anyone in it
  function forgetHere() {
    outbox = [];
    kept = [];
    kit.save(window.localStorage, OUTBOX, outbox);
    kit.save(window.sessionStorage, KEPT, kept);
  }
  // the meeting no longer knows this phone (a restore, `kit forget`): back to the join form, which
  // the page's address shows once the server has forgotten the identity too; once, not in a loop
  function joinAgain(message) {
    leaveWith(message);
    var again = document.createElement('a');
    again.className = 'button primary';
    again.href = window.location.pathname;
    again.textContent = texts.join;
    stage.appendChild(again);
    var key = 'kit-join-again-' + kit.code;
    var last = parseInt(window.sessionStorage.getItem(key) || '0', 10);
    if (Date.now() - last < 30000) return;  // just tried: leave the message, not a reload loop
    try { window.sessionStorage.setItem(key, String(Date.now())); } catch (e) { /* private mode */ }
    window.location.replace(window.location.pathname);
  }

  kit.onBeforeApply(function (state) {
    var step = kit.step;
    var leaving = !state.step || state.step.id !== (step && step.id) || (state.meeting && state.meeting.status !== 'live');
    if (step && kit.status === 'live' && leaving) keepTyping(step);
  });
  kit.onDraw(function (state, isSnapshot, sameStep) {
    if (state.meeting) anonymousAllowed = !!state.meeting.anonymous_allowed;
    if (!sameStep) keptForOneStep(state.step && state.step.id);
    if (isSnapshot) {
      me = state.me;
      mine = state.mine || [];
      myVotes = {};
      (state.my_votes || []).forEach(function (id) { myVotes[id] = true; });
    }
    fillIn();
    showVotes();
    renderMine();
  });
  kit.onApply(function (state, isSnapshot) {
    askName(false);
    renderKept();
    if (isSnapshot) flushOutbox();
  });
  kit.onItemPlaced(showVotes);

  // -- when the facilitator moves on: what someone was writing for the step they left is kept,
  // shown above the new step, and can be put back in a field; it is never sent to a step its
  // writer did not see --------------------------------------------------------------------------
  function keepTyping(left) {
    var forms = stage.querySelectorAll('form[data-contribute]');
    for (var i = 0; i < forms.length; i++) {
      var data = kit.formData(forms[i]);
      var summary = summarise(forms[i], data);
      if (summary) keep({ step_id: left.id, step_title: left.title, data: data, summary: summary, why: 'moved' });
    }
  }
  // kept text is offered during the step shown next, then dropped: it must not follow its owner
  // through the rest of the meeting (it stays the draft of its own step, should the meeting come back)
  function keptForOneStep(stepId) {
    var before = kept.length;
    kept = kept.filter(function (k) {
      if (k.shown_in === undefined || k.shown_in === null) { k.shown_in = stepId || 0; return true; }
      return k.shown_in === (stepId || 0);
    });
    if (kept.length !== before || kept.length) kit.save(window.sessionStorage, KEPT, kept);
  }
  function keep(entry) {
    kept = kept.filter(function (k) { return k.summary !== entry.summary || k.step_id !== entry.step_id; });
    kept.push(entry);
    kit.save(window.sessionStorage, KEPT, kept);
    renderKept();
  }
  function renderKept() {
    var section = document.getElementById('kept');
    if (!section) return;
    var list = document.getElementById('kept-list');
    list.innerHTML = '';
    kept.forEach(function (entry, index) {
      var li = document.createElement('li');
      var why = document.createElement('p');
      why.textContent = (entry.why === 'stale' ? texts.stale : texts.movedOn).replace('%(step)s', entry.step_title || '');
      var quote = document.createElement('blockquote');
      quote.className = 'kept-text';
      quote.textContent = entry.summary;
      li.appendChild(why);
      li.appendChild(quote);
      var buttons = document.createElement('div');
      buttons.className = 'control-buttons';
      var form = contributeForms()[0];
      if (form && kit.status === 'live') buttons.appendChild(smallButton(texts.putBack, 'primary', function () { putBack(index); }));
      buttons.appendChild(smallButton(texts.dismiss, '', function () { dropKept(index); }));
      li.appendChild(buttons);
      list.appendChild(li);
    });
    section.hidden = kept.length === 0;
  }
  function dropKept(index) {
    kept.splice(index, 1);
    kit.save(window.sessionStorage, KEPT, kept);
    renderKept();
  }
  // into the current step's form: the same fields where they exist, else the text in its first text box
  function putBack(index) {
    var entry = kept[index];
    var form = contributeForms()[0];
    if (!entry || !form) return;
    var placed = false;
    Object.keys(entry.data).forEach(function (name) {
      var field = form.querySelector('[name="' + name + '"]');
      if (field && typeof entry.data[name] === 'string' && entry.data[name].trim() && field.type !== 'radio' && field.type !== 'checkbox') {
        field.value = entry.data[name];
        placed = true;
      }
    });
    var box = form.querySelector('textarea, input[type="text"], input:not([type])');
    if (!placed && box) box.value = entry.summary;
    if (!placed && !box) return;
    kit.forgetDraft(entry.step_id);
    dropKept(index);
    kit.keepDrafts();
    if (box) box.focus();
  }

  // -- a name, when the facilitator requires one ----------------------------------------------------
  function askName(force) {
    var form = document.getElementById('name-form');
    if (!form) return;
    var status = kit.status;
    var needed = !!me && !me.name && !anonymousAllowed && (status === 'live' || status === 'prepared');
    form.hidden = !(needed || (force && me && !me.name));
  }
  var nameForm = document.getElementById('name-form');
  if (nameForm) nameForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var field = document.getElementById('given-name');
    socket.timeout(10000).emit('give_name', { name: field.value }, function (timedOut, ack) {
      if (!timedOut && ack.ok) {
        me = ack.me;
        nameForm.hidden = true;
        fillIn();
        flushOutbox();
        return;
      }
      formStatus(nameForm, timedOut ? texts.noAnswer : ack.error.message, 'error');
    });
  });

  function fillIn() {
    if (!me) return;
    var named = stage.querySelectorAll('[data-me]');
    for (var i = 0; i < named.length; i++) named[i].textContent = me[named[i].getAttribute('data-me')] || '';
    var fields = stage.querySelectorAll('[data-prefill]');
    for (var j = 0; j < fields.length; j++) {
      if (!fields[j].value) fields[j].value = me[fields[j].getAttribute('data-prefill')] || '';
    }
    // a folded part whose field is still to fill opens (someone who joined without a name)
    var folds = stage.querySelectorAll('details[data-open-if-empty]');
    for (var k = 0; k < folds.length; k++) {
      var field = folds[k].querySelector('[name="' + folds[k].getAttribute('data-open-if-empty') + '"]');
      if (field && !field.value.trim()) folds[k].open = true;
    }
  }
  // the field a refusal names is shown, even when it was folded away
  function reveal(form, name) {
    var field = form && name && form.querySelector('[name="' + name + '"]');
    if (!field) return;
    var fold = field.closest('details');
    if (fold) fold.open = true;
    field.focus();
  }

  // -- votes: this phone's own choices ------------------------------------------------------------
  function showVotes() {
    var buttons = stage.querySelectorAll('button[data-vote-for]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute('aria-pressed', myVotes[buttons[i].getAttribute('data-vote-for')] ? 'true' : 'false');
    }
  }
  stage.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-vote-for]');
    if (!button) return;
    var id = parseInt(button.getAttribute('data-vote-for'), 10);
    var wanted = button.getAttribute('aria-pressed') !== 'true';
    button.setAttribute('aria-pressed', wanted ? 'true' : 'false');
    var ballot = { contribution_id: id, vote: wanted };
    var step = kit.step;
    if (step) { ballot.step_id = step.id; ballot.step_version = step.version; }
    socket.timeout(10000).emit('vote', ballot, function (timedOut, ack) {
      if (!timedOut && ack.ok) {
        if (wanted) myVotes[id] = true; else delete myVotes[id];
        return;
      }
      button.setAttribute('aria-pressed', wanted ? 'false' : 'true');
      kit.setStatus('lost', timedOut ? texts.noAnswer : ack.error.message);
      if (!timedOut && ack.error.code === 'stale_step') kit.resync();
    });
  });

  // -- the phone's outbox: nothing typed is lost ------------------------------------------------
  function newClientId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function renderMine() {
    var section = document.getElementById('mine');
    if (!section) return;
    var list = document.getElementById('mine-list');
    list.innerHTML = '';
    var stepId = kit.step && kit.step.id;
    var shown = 0;
    mine.forEach(function (item) {
      if (item.step_id !== stepId) return;
      if (item.withdrawn) list.appendChild(mineEntry('', texts.deleted, 'deleted'));
      else list.appendChild(mineEntry(item.summary, texts.sent, 'sent', deleteControl(item)));
      shown++;
    });
    outbox.forEach(function (entry) {
      if (entry.step_id !== stepId) return;
      list.appendChild(mineEntry(entry.summary, socket.connected ? texts.sending : texts.waiting, 'pending'));
      shown++;
    });
    section.hidden = shown === 0;
  }
  function mineEntry(summary, state, kind, extra) {
    var li = document.createElement('li');
    li.className = 'mine-' + kind;
    var text = document.createElement('span');
    text.textContent = summary;
    var badge = document.createElement('span');
    badge.className = 'mine-state';
    badge.textContent = state;
    li.appendChild(text);
    li.appendChild(badge);
    if (extra) li.appendChild(extra);
    return li;
  }

  // -- deleting one's own contribution: one button, one plain question, then `withdraw` ------------
  function smallButton(label, kind, action) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'button small ' + kind;
    button.textContent = label;
    if (action) button.addEventListener('click', action);
    return button;
  }
  function deleteControl(item) {
    var box = document.createElement('span');
    box.className = 'mine-delete';
    var ask = smallButton(texts.delete, 'danger');
    ask.addEventListener('click', function () {
      box.textContent = '';
      var question = document.createElement('span');
      question.textContent = texts.deleteQuestion;
      var yes = smallButton(texts.deleteYes, 'danger');
      var no = smallButton(texts.deleteNo, '');
      yes.addEventListener('click', function () { yes.disabled = true; withdraw(item); });
      no.addEventListener('click', function () { renderMine(); });
      box.appendChild(question);
      box.appendChild(yes);
      box.appendChild(no);
      yes.focus();
    });
    box.appendChild(ask);
    return box;
  }
  function withdraw(item) {
    socket.timeout(10000).emit('withdraw', { contribution_id: item.id }, function (timedOut, ack) {
      if (timedOut || !ack.ok) {
        kit.setStatus('lost', timedOut ? texts.noAnswer : ack.error.message);
        renderMine();
        return;
      }
      item.withdrawn = true;
      kit.announce(texts.deleted);
      renderMine();
    });
  }

  // kind: 'ok' (sent), 'pending' (kept, waiting for the link) or 'error' (the person must act)
  function formStatus(form, text, kind) {
    var el = form && form.querySelector('.form-status');
    if (!el) return;
    el.textContent = text;
    el.classList.toggle('error', kind === 'error');
    el.classList.toggle('pending', kind === 'pending');
  }

  stage.addEventListener('submit', function (event) {
    var form = event.target.closest('form[data-contribute]');
    if (!form) return;
    event.preventDefault();
    var data = kit.formData(form);
    var stepId = parseInt(form.getAttribute('data-step'), 10);
    var step = kit.step;
    var entry = { client_id: newClientId(), step_id: stepId, data: data, summary: summarise(form, data),
                  step_version: step && step.id === stepId ? step.version : null,
                  step_title: step && step.id === stepId ? step.title : '',
                  form: contributeForms().indexOf(form) };
    outbox.push(entry);
    kit.save(window.localStorage, OUTBOX, outbox);
    form.reset();
    fillIn();
    kit.forgetDraft(entry.step_id);
    formStatus(form, socket.connected ? texts.sending : texts.waiting, 'pending');
    renderMine();
    send(entry);
  });

  // what a person wrote in a form, in one line (choices and prefilled fields left out)
  function summarise(form, data) {
    var summary = [];
    Object.keys(data).forEach(function (name) {
      var value = data[name];
      var field = form.querySelector('[name="' + name + '"]');
      if (typeof value === 'string' && value.trim() && field.type !== 'radio' && field.type !== 'hidden' &&
          field.tagName !== 'SELECT' && !field.hasAttribute('data-prefill')) {
        summary.push(value.trim());
      }
    });
    return summary.join(' · ');
  }

  // the form an entry was sent from, found again after the stage was redrawn
  function contributeForms() {
    return Array.prototype.slice.call(stage.querySelectorAll('form[data-contribute]'));
  }
  function formOf(entry) {
    var form = contributeForms()[entry.form];
    if (form && parseInt(form.getAttribute('data-step'), 10) === entry.step_id) return form;
    return stage.querySelector('form[data-step="' + entry.step_id + '"]');
  }

  function dropFromOutbox(entry) {
    outbox = outbox.filter(function (e) { return e.client_id !== entry.client_id; });
    kit.save(window.localStorage, OUTBOX, outbox);
  }

  function send(entry) {
    if (!socket.connected || entry.inFlight) return;
    entry.inFlight = true;
    var payload = { client_id: entry.client_id, step_id: entry.step_id, data: entry.data };
    if (entry.step_version !== null && entry.step_version !== undefined) payload.step_version = entry.step_version;
    socket.timeout(10000).emit('contribute', payload, function (timedOut, ack) {
      entry.inFlight = false;
      var form = formOf(entry);
      if (timedOut) {               // no answer: keep it, send it again when the link is back
        formStatus(form, texts.waiting, 'pending');
        setTimeout(function () { send(entry); }, 3000);
        return;
      }
      if (ack.ok) {
        dropFromOutbox(entry);
        mine = mine.filter(function (item) { return item.key !== ack.key; });
        mine.push(ack);
        formStatus(form, texts.sent + ' ✓', 'ok');
        renderMine();
        return;
      }
      if (ack.error.code === 'rate_limited' || ack.error.code === 'internal' || ack.error.code === 'paused') {
        formStatus(form, ack.error.message, 'pending');
        setTimeout(function () { send(entry); }, 5000);
        return;
      }
      if (ack.error.code === 'name_required') {   // kept in the outbox, sent once the name is given
        formStatus(form, ack.error.message, 'pending');
        askName(true);
        var field = document.getElementById('given-name');
        if (field) field.focus();
        return;
      }
      if (ack.error.code === 'stale_step') {      // the step changed before it arrived: kept, and resync
        dropFromOutbox(entry);
        keep({ step_id: entry.step_id, step_title: entry.step_title, data: entry.data, summary: entry.summary, why: 'stale' });
        renderMine();
        kit.resync();
        return;
      }
      // refused for good: give the text back so the person can fix it
      dropFromOutbox(entry);
      renderMine();
      if (form) kit.restoreForm(form, entry.data);
      formStatus(form, texts.refused + ' ' + ack.error.message, 'error');
      reveal(form, ack.error.field);
    });
  }

  function flushOutbox() {
    outbox.forEach(function (entry) { entry.inFlight = false; send(entry); });
  }

  kit.start();
})();
