/* kit's live client, shared by the screen, the console and the phone.
   The server sends whole views as HTML (already translated and escaped); this script puts them
   in place, keeps the phone's unsent contributions in an outbox until the server acknowledges
   them, and tells people plainly what is happening. Plain ES2017, no build step. */
(function () {
  'use strict';
  var body = document.body;
  var view = body.getAttribute('data-view');
  var code = body.getAttribute('data-meeting');
  var texts = document.getElementById('kit-texts').dataset;
  var stage = document.getElementById('stage');
  var statusEl = document.getElementById('status');
  var announceEl = document.getElementById('announce');

  var version = -1;
  var step = null;        // the step on screen now
  var status = null;      // the meeting's: prepared, live, closed, published
  var me = null;          // the phone's own name, structure, territory
  var mine = [];          // the phone's acknowledged contributions
  var myVotes = {};       // contribution id → true, for what this phone supports
  var clockOffset = 0;    // server time minus this device's time, for countdowns
  var anonymousAllowed = false;  // whether the facilitator lets people send without a name
  var DRAFTS = 'kit-drafts-' + code;
  var OUTBOX = 'kit-outbox-' + code;
  var KEPT = 'kit-kept-' + code;

  function load(storage, key, fallback) {
    try { return JSON.parse(storage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function save(storage, key, value) {
    try { storage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: memory only */ }
  }
  var outbox = load(window.localStorage, OUTBOX, []);
  var drafts = load(window.sessionStorage, DRAFTS, {});
  var kept = load(window.sessionStorage, KEPT, []);  // text not sent because the step changed

  function setStatus(kind, text) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.classList.remove('status-ok', 'status-lost');
    statusEl.classList.add('status-' + kind);
  }
  function announce(text) {
    if (announceEl) announceEl.textContent = text;
  }

  var auth = { meeting: code };
  if (body.getAttribute('data-key')) auth.key = body.getAttribute('data-key');
  if (body.getAttribute('data-token')) auth.token = body.getAttribute('data-token');
  var socket = io('/' + view, { auth: auth, reconnectionDelayMax: 5000 });

  socket.on('connect', function () { setStatus('ok', texts.connected); });
  socket.on('disconnect', function () {
    setStatus('lost', texts.lost);
    if (view === 'phone') renderMine();   // what is not sent yet now says it waits for the link
  });
  socket.on('connect_error', function (error) {
    var data = error && error.data;
    if (data && data.code === 'unknown_participant') { window.location.reload(); return; }
    if (data && data.code === 'removed') { sentAway(data.message); return; }
    setStatus('lost', data && data.message ? data.message : texts.lost);
  });
  socket.io.on('reconnect_attempt', function () { setStatus('lost', texts.lost); });
  // the device says the network is back: try now rather than at the end of the back-off (up to 5 s)
  window.addEventListener('online', function () {
    if (!socket.connected) socket.disconnect().connect();
  });

  socket.on('snapshot', function (snapshot) { apply(snapshot, true); });
  socket.on('state', function (state) { if (state.version >= version) apply(state, false); });
  socket.on('contribution', function (event) { placeItem(event.list || event.step_id, event.key, event.html); });
  socket.on('counts', function (counts) {
    // counts newer than this view that name another step: a `state` was missed, so catch up
    if (step && typeof counts.step_version === 'number' && counts.version > version &&
        (counts.step_id !== step.id || counts.step_version !== step.version)) { resync(); return; }
    showCounts(counts);
  });
  // the facilitator removed this phone's person: say so plainly, and stop offering to send
  function sentAway(message) {
    setStatus('lost', message);
    stage.innerHTML = '';
    var note = document.createElement('p');
    note.className = 'message';
    note.setAttribute('role', 'alert');
    note.textContent = message;
    stage.appendChild(note);
    outbox = [];
    save(window.localStorage, OUTBOX, outbox);
  }
  socket.on('removed', function (notice) { sentAway(notice.message); });
  socket.on('notice', function (notice) {
    var message = document.getElementById('console-message');
    if (!message) return;
    message.textContent = notice.message;
    message.className = notice.ok ? 'notice' : 'error';
    message.hidden = false;
  });

  // -- drawing the server's state -------------------------------------------------------------
  function apply(state, isSnapshot) {
    keepDrafts();
    var focus = focusBefore();
    var opened = openDetails();
    var previousStep = step && step.id;
    var leaving = !state.step || state.step.id !== (step && step.id) || (state.meeting && state.meeting.status !== 'live');
    if (view === 'phone' && step && status === 'live' && leaving) keepTyping(step);
    version = state.version;
    step = state.step;
    if (state.server_time) clockOffset = Date.parse(state.server_time) - Date.now();
    stage.innerHTML = state.html;
    if (state.meeting) anonymousAllowed = !!state.meeting.anonymous_allowed;
    if (isSnapshot && view === 'phone') {
      me = state.me;
      mine = state.mine || [];
      myVotes = {};
      (state.my_votes || []).forEach(function (id) { myVotes[id] = true; });
    }
    if (view === 'screen' && (!step || step.id !== previousStep)) window.scrollTo(0, 0);  // a new step starts at its top
    fillIn();
    showVotes();
    tick();
    restoreDrafts();
    renderMine();
    if (state.counts) showCounts(state.counts);
    if (view === 'screen') showPage();
    if (step && step.id === previousStep) reopenDetails(opened);
    focusAfter(focus, step && step.id === previousStep);
    var previousStatus = status;
    status = state.meeting && state.meeting.status;
    if (!isSnapshot && status === 'live' && step && step.id !== previousStep) announce(texts.newStep + ' ' + step.title);
    else if (!isSnapshot && previousStatus === 'closed' && status === 'published') {
      announce(texts.published);  // the end was announced at the close: now only that the minutes are out
    } else if (!isSnapshot && status !== previousStatus) {
      var heading = stage.querySelector('h1');  // the end of the meeting is news too
      if (heading) announce(heading.textContent);
    }
    if (view === 'phone') { askName(false); renderKept(); }
    if (view === 'phone' && isSnapshot) flushOutbox();
  }

  // -- when the facilitator moves on: what someone was writing for the step they left is kept,
  // shown above the new step, and can be put back in a field; it is never sent to a step its
  // writer did not see --------------------------------------------------------------------------
  function keepTyping(left) {
    var forms = stage.querySelectorAll('form[data-contribute]');
    for (var i = 0; i < forms.length; i++) {
      var data = formData(forms[i]);
      var summary = summarise(forms[i], data);
      if (summary) keep({ step_id: left.id, step_title: left.title, data: data, summary: summary, why: 'moved' });
    }
  }
  function keep(entry) {
    kept = kept.filter(function (k) { return k.summary !== entry.summary || k.step_id !== entry.step_id; });
    kept.push(entry);
    save(window.sessionStorage, KEPT, kept);
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
      if (form && status === 'live') buttons.appendChild(keptButton(texts.putBack, 'primary', function () { putBack(index); }));
      buttons.appendChild(keptButton(texts.dismiss, '', function () { dropKept(index); }));
      li.appendChild(buttons);
      list.appendChild(li);
    });
    section.hidden = kept.length === 0;
  }
  function keptButton(label, kind, action) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'button small ' + kind;
    button.textContent = label;
    button.addEventListener('click', action);
    return button;
  }
  function dropKept(index) {
    kept.splice(index, 1);
    save(window.sessionStorage, KEPT, kept);
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
    delete drafts[entry.step_id];
    dropKept(index);
    keepDrafts();
    if (box) box.focus();
  }

  // -- a name, when the facilitator requires one ----------------------------------------------------
  function askName(force) {
    var form = document.getElementById('name-form');
    if (!form) return;
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

  // a redraw must not throw away someone's place: the field they type in (keyboard open, caret
  // where it was), the button they pressed; on a new step, its title, so Tab goes on from there
  var pressed = null;     // the console button whose command is on its way (a disabled button loses focus)
  function focusKey(el) {
    if (el.id) return '#' + el.id;
    var names = ['data-vote-for', 'data-action', 'data-act', 'data-moderate'];
    for (var i = 0; i < names.length; i++) {
      if (!el.hasAttribute(names[i])) continue;
      var key = el.tagName.toLowerCase() + '[' + names[i] + '="' + el.getAttribute(names[i]) + '"]';
      if (el.hasAttribute('data-id')) key += '[data-id="' + el.getAttribute('data-id') + '"]';
      if (el.hasAttribute('data-step-id')) key += '[data-step-id="' + el.getAttribute('data-step-id') + '"]';
      return key;
    }
    return null;
  }
  function focusBefore() {
    var el = document.activeElement;
    var key = pressed;
    pressed = null;
    if (el && el !== stage && stage.contains(el)) {
      var caret = null;
      try { if (typeof el.selectionStart === 'number') caret = [el.selectionStart, el.selectionEnd]; } catch (e) { /* date fields */ }
      return { key: focusKey(el), caret: caret };
    }
    if ((!el || el === body) && key) return { key: key, caret: null };
    return null;
  }
  // a tool the facilitator opened (add a step, record an answer) stays open through a redraw
  function detailsKey(details) {
    var item = details.closest('[data-key]');
    var summary = details.querySelector('summary');
    return (item ? item.getAttribute('data-key') : '') + '|' + (summary ? summary.textContent : '');
  }
  function openDetails() {
    var keys = [];
    var all = stage.querySelectorAll('details[open]');
    for (var i = 0; i < all.length; i++) keys.push(detailsKey(all[i]));
    return keys;
  }
  function reopenDetails(keys) {
    if (!keys.length) return;
    var all = stage.querySelectorAll('details');
    for (var i = 0; i < all.length; i++) if (keys.indexOf(detailsKey(all[i])) !== -1) all[i].open = true;
  }
  function focusAfter(before, sameStep) {
    if (!before) return;
    var el = null;
    if ((sameStep || view === 'console') && before.key) {  // the facilitator stays on what they pressed
      el = before.key.charAt(0) === '#' ? document.getElementById(before.key.slice(1)) : stage.querySelector(before.key);
    }
    if (el && stage.contains(el) && !el.disabled) {
      el.focus();
      if (before.caret) try { el.setSelectionRange(before.caret[0], before.caret[1]); } catch (e) { /* not text */ }
      return;
    }
    var heading = stage.querySelector('h1');
    if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus(); }
  }

  function placeItem(listName, key, html) {
    var list = stage.querySelector('[data-items="' + listName + '"]');
    if (!list) return;
    var holder = document.createElement('template');
    holder.innerHTML = html.trim();
    var item = holder.content.firstElementChild;
    var existing = list.querySelector('[data-key="' + key + '"]');
    if (existing) list.replaceChild(item, existing); else list.appendChild(item);
    var empty = stage.querySelector('.empty');
    if (empty) empty.remove();
    showVotes();
    if (view === 'screen') showPage();
  }

  function showCounts(counts) {
    Object.keys(counts).forEach(function (name) {
      if (typeof counts[name] === 'object') return;
      var nodes = stage.querySelectorAll('[data-count="' + name + '"]');
      for (var i = 0; i < nodes.length; i++) nodes[i].textContent = counts[name];
    });
    if (counts.votes && step && counts.step_id === step.id) showTallies(counts.votes);
  }

  // -- votes: counts from the server, this phone's own choices, lists kept in order ---------------
  function showTallies(tallies) {
    var nodes = stage.querySelectorAll('[data-votes-for]');
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].tagName === 'BUTTON') continue;
      var id = nodes[i].getAttribute('data-votes-for');
      var count = tallies[id] || 0;
      nodes[i].textContent = count;
      var holder = nodes[i].closest('[data-votes]');
      if (holder) holder.setAttribute('data-votes', count);
    }
    var lists = stage.querySelectorAll('[data-sort="votes"]');
    for (var j = 0; j < lists.length; j++) sortByVotes(lists[j]);
  }
  function sortByVotes(list) {
    var items = Array.prototype.slice.call(list.children);
    items.sort(function (a, b) {
      var diff = parseInt(b.getAttribute('data-votes') || '0', 10) - parseInt(a.getAttribute('data-votes') || '0', 10);
      return diff || (parseInt(a.getAttribute('data-key').slice(1), 10) - parseInt(b.getAttribute('data-key').slice(1), 10));
    });
    items.forEach(function (item) { list.appendChild(item); });
  }
  function showVotes() {
    var buttons = stage.querySelectorAll('button[data-vote-for]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute('aria-pressed', myVotes[buttons[i].getAttribute('data-vote-for')] ? 'true' : 'false');
    }
  }
  stage.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-vote-for]');
    if (!button || view !== 'phone') return;
    var id = parseInt(button.getAttribute('data-vote-for'), 10);
    var wanted = button.getAttribute('aria-pressed') !== 'true';
    button.setAttribute('aria-pressed', wanted ? 'true' : 'false');
    var ballot = { contribution_id: id, vote: wanted };
    if (step) { ballot.step_id = step.id; ballot.step_version = step.version; }
    socket.timeout(10000).emit('vote', ballot, function (timedOut, ack) {
      if (!timedOut && ack.ok) {
        if (wanted) myVotes[id] = true; else delete myVotes[id];
        return;
      }
      button.setAttribute('aria-pressed', wanted ? 'false' : 'true');
      setStatus('lost', timedOut ? texts.noAnswer : ack.error.message);
      if (!timedOut && ack.error.code === 'stale_step') resync();
    });
  });

  // -- countdowns, on the server's clock -----------------------------------------------------------
  function tick() {
    var timers = stage.querySelectorAll('[data-countdown]');
    for (var i = 0; i < timers.length; i++) {
      var left = Math.round((Date.parse(timers[i].getAttribute('data-countdown')) - (Date.now() + clockOffset)) / 1000);
      if (left <= 0) {
        timers[i].textContent = texts.timeUp;
        timers[i].classList.add('over');
      } else {
        var seconds = left % 60;
        timers[i].textContent = Math.floor(left / 60) + ':' + (seconds < 10 ? '0' : '') + seconds;
      }
    }
  }
  setInterval(tick, 1000);

  function fillIn() {
    if (!me) return;
    var named = stage.querySelectorAll('[data-me]');
    for (var i = 0; i < named.length; i++) named[i].textContent = me[named[i].getAttribute('data-me')] || '';
    var fields = stage.querySelectorAll('[data-prefill]');
    for (var j = 0; j < fields.length; j++) {
      if (!fields[j].value) fields[j].value = me[fields[j].getAttribute('data-prefill')] || '';
    }
  }

  // what someone typed survives a change of step, a reload and a redraw
  function keepDrafts() {
    var forms = stage.querySelectorAll('form[data-draft]');
    for (var i = 0; i < forms.length; i++) {
      var values = formData(forms[i]);
      var prefilled = forms[i].querySelectorAll('[data-prefill]');
      for (var j = 0; j < prefilled.length; j++) delete values[prefilled[j].name];
      drafts[forms[i].getAttribute('data-draft')] = values;
    }
    save(window.sessionStorage, DRAFTS, drafts);
  }
  function restoreDrafts() {
    var forms = stage.querySelectorAll('form[data-draft]');
    for (var i = 0; i < forms.length; i++) {
      var values = drafts[forms[i].getAttribute('data-draft')];
      if (values) restoreForm(forms[i], values);
    }
  }
  stage.addEventListener('input', function () { keepDrafts(); });
  stage.addEventListener('change', function () { keepDrafts(); });

  // -- the projected screen: a step longer than the screen pages through by itself, gently -------
  // (nobody scrolls a projector); the step's title stays on top, a small "2 / 3" says where it is
  function screenPaging() {
    var seconds = parseFloat(body.getAttribute('data-page-seconds')) || 8;
    setTimeout(function () {
      var root = document.scrollingElement || document.documentElement;
      var header = stage.querySelector('.step-header');
      var room = Math.max(100, (window.innerHeight - (header ? header.offsetHeight : 0)) * 0.8);
      var max = root.scrollHeight - window.innerHeight;
      if (max <= 4) { if (root.scrollTop) window.scrollTo(0, 0); }
      else if (root.scrollTop >= max - 4) window.scrollTo({ top: 0, behavior: 'smooth' });
      else window.scrollTo({ top: Math.min(max, root.scrollTop + room), behavior: 'smooth' });
      screenPaging();
    }, seconds * 1000);
  }
  function showPage() {
    var el = document.getElementById('screen-page');
    if (!el) return;
    var root = document.scrollingElement || document.documentElement;
    var header = stage.querySelector('.step-header');
    var room = Math.max(100, (window.innerHeight - (header ? header.offsetHeight : 0)) * 0.8);
    var max = root.scrollHeight - window.innerHeight;
    el.hidden = max <= 4;
    if (el.hidden) return;
    var pages = 1 + Math.ceil((max - 4) / room);
    var page = root.scrollTop >= max - 4 ? pages : 1 + Math.round(root.scrollTop / room);
    el.textContent = page + ' / ' + pages;
  }
  if (view === 'screen') {
    screenPaging();
    window.addEventListener('scroll', showPage);
    window.addEventListener('resize', showPage);
  }

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
    var stepId = step && step.id;
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
  function smallButton(label, className) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'button small ' + className;
    b.textContent = label;
    return b;
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
        setStatus('lost', timedOut ? texts.noAnswer : ack.error.message);
        renderMine();
        return;
      }
      item.withdrawn = true;
      announce(texts.deleted);
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
    var data = formData(form);
    var stepId = parseInt(form.getAttribute('data-step'), 10);
    var entry = { client_id: newClientId(), step_id: stepId, data: data, summary: summarise(form, data),
                  step_version: step && step.id === stepId ? step.version : null,
                  step_title: step && step.id === stepId ? step.title : '',
                  form: contributeForms().indexOf(form) };
    outbox.push(entry);
    save(window.localStorage, OUTBOX, outbox);
    form.reset();
    fillIn();
    delete drafts[entry.step_id];
    save(window.sessionStorage, DRAFTS, drafts);
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

  // a form's fields as the server reads them: one value per name, a list for checkboxes
  function formData(form) {
    var data = {};
    var fields = form.querySelectorAll('[name]');
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === 'checkbox') {
        if (!data[field.name]) data[field.name] = [];
        if (field.checked) data[field.name].push(field.value);
      } else if (field.type !== 'radio' || field.checked) {
        data[field.name] = field.value;
      }
    }
    return data;
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
    save(window.localStorage, OUTBOX, outbox);
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
        resync();
        return;
      }
      // refused for good: give the text back so the person can fix it
      dropFromOutbox(entry);
      renderMine();
      if (form) restoreForm(form, entry.data);
      formStatus(form, texts.refused + ' ' + ack.error.message, 'error');
    });
  }

  function restoreForm(form, data) {
    Object.keys(data).forEach(function (name) {
      var fields = form.querySelectorAll('[name="' + name + '"]');
      var values = [].concat(data[name]);
      for (var i = 0; i < fields.length; i++) {
        if (fields[i].type === 'radio' || fields[i].type === 'checkbox') fields[i].checked = values.indexOf(fields[i].value) !== -1;
        else fields[i].value = data[name];
      }
    });
  }

  function resync() {
    socket.timeout(10000).emit('sync', function (timedOut, ack) {
      if (!timedOut && ack.ok) apply(ack.snapshot, true);
    });
  }

  function flushOutbox() {
    outbox.forEach(function (entry) { entry.inFlight = false; send(entry); });
  }

  // -- the console's buttons and forms ------------------------------------------------------------
  // data-action="next" sends `next`; data-act="defer" sends `act` with action "defer";
  // data-moderate="hide" sends `moderate` with action "hide"; data-id and a form's fields go along.
  function consoleCommand(element) {
    if (element.hasAttribute('data-action')) return { event: element.getAttribute('data-action'), payload: {} };
    if (element.hasAttribute('data-act')) return { event: 'act', payload: { action: element.getAttribute('data-act') } };
    if (element.hasAttribute('data-control')) return { event: 'control', payload: { action: element.getAttribute('data-control') } };
    return { event: 'moderate', payload: { action: element.getAttribute('data-moderate') } };
  }
  function runCommand(element, fields, done) {
    var question = element.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { done(false); return; }
    var command = consoleCommand(element);
    if (element.hasAttribute('data-step-id')) command.payload.step_id = parseInt(element.getAttribute('data-step-id'), 10);
    if (element.hasAttribute('data-id')) command.payload.id = parseInt(element.getAttribute('data-id'), 10);
    if (element.hasAttribute('data-participant-id')) command.payload.participant_id = parseInt(element.getAttribute('data-participant-id'), 10);
    Object.keys(fields).forEach(function (name) { command.payload[name] = fields[name]; });
    if (step && ['next', 'previous', 'act'].indexOf(command.event) !== -1) {
      command.payload.at = { step_id: step.id, step_version: step.version };
    }
    var message = document.getElementById('console-message');
    socket.timeout(10000).emit(command.event, command.payload, function (timedOut, ack) {
      var problem = timedOut ? texts.noAnswer : (ack.ok ? '' : ack.error.message);
      if (message) { message.textContent = problem; message.className = 'error'; message.hidden = !problem; }
      if (!timedOut && !ack.ok && ack.error.code === 'stale_step') resync();
      done(!problem);
    });
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-action], button[data-act], button[data-moderate], button[data-control]');
    if (!button || view !== 'console') return;
    pressed = focusKey(button);
    button.disabled = true;
    runCommand(button, {}, function (ok) {
      button.disabled = false;
      // disabling took the focus away; the answer may come before or after the redraw
      if (document.contains(button) && (!document.activeElement || document.activeElement === body)) button.focus();
      if (!ok) pressed = null;
    });
  });
  document.addEventListener('submit', function (event) {
    var form = event.target.closest('form[data-act], form[data-moderate], form[data-action]');
    if (!form || view !== 'console') return;
    event.preventDefault();
    var fields = {};
    var inputs = form.querySelectorAll('[name]');
    for (var i = 0; i < inputs.length; i++) {
      fields[inputs[i].name] = inputs[i].type === 'number' ? parseInt(inputs[i].value, 10) : inputs[i].value;
    }
    runCommand(form, fields, function (ok) {
      if (ok && form.hasAttribute('data-draft')) { delete drafts[form.getAttribute('data-draft')]; save(window.sessionStorage, DRAFTS, drafts); }
      if (ok) form.reset();
    });
  });
})();
