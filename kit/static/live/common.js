/* kit's live client, what every view shares: the view's own script (phone.js, screen.js,
   console.js) adds to it through window.kit, then calls kit.start(). ES5, no build step. */
(function () {
  'use strict';
  var body = document.body;
  var view = body.getAttribute('data-view');
  var code = body.getAttribute('data-meeting');
  var texts = document.getElementById('kit-texts').dataset;
  var stage = document.getElementById('stage');
  var statusEl = document.getElementById('status');
  var announceEl = document.getElementById('announce');

  var clockOffset = 0;    // server time minus this device's time, for countdowns
  var DRAFTS = 'kit-drafts-' + code;

  var hooks = {};
  function hook(name) {
    hooks[name] = [];
    return function (fn) { hooks[name].push(fn); };
  }
  function run(name, args) {
    return hooks[name].some(function (fn) { return fn.apply(null, args) === true; });
  }

  function load(storage, key, fallback) {
    try { return JSON.parse(storage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function save(storage, key, value) {
    try { storage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: memory only */ }
  }
  var drafts = load(window.sessionStorage, DRAFTS, {});

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
  // not connected before the view's script has said what it does with a snapshot
  var socket = io('/' + view, { auth: auth, reconnectionDelayMax: 5000, autoConnect: false });

  // window.kit, for the view's own script: the page, the state, hooks (run in apply and placeItem)
  var kit = window.kit = {
    view: view, code: code, body: body, stage: stage, texts: texts, socket: socket,
    version: -1, step: null, status: null,  // the state's number, the step on screen, the meeting's status
    pressed: null,            // focusKey() of what to focus after the next redraw
    focusAcrossSteps: false,  // even on a new step (the console)
    onBeforeApply: hook('beforeApply'), onDraw: hook('draw'), onApply: hook('apply'),
    onItemPlaced: hook('itemPlaced'),       // fn(item): one item came alone, in its list
    onConnectError: hook('connectError'),   // fn(data): true if it dealt with the refusal
    stop: stop,                             // stop(text[, short]): no more connecting, say why (short: status line)
    start: start, setStatus: setStatus, announce: announce, load: load, save: save, resync: resync,
    formData: formData, restoreForm: restoreForm, keepDrafts: keepDrafts, forgetDraft: forgetDraft, filled: filled,
    focusKey: focusKey
  };

  // -- refusals: the server says why (docs/protocol.md, "Refusals"); trying again helps only for
  // a moment's refusal, any other stops the connection and the view says so plainly ------------
  var stopped = false;
  var RETRY_LATER = { rate_limited: true, internal: true, already_connected: true };
  function stop(text, short) {
    stopped = true;
    socket.io.reconnection(false);
    socket.disconnect();
    setStatus('lost', short || text);
  }
  socket.on('connect', function () { setStatus('ok', texts.connected); });
  socket.on('disconnect', function () { if (!stopped) setStatus('lost', texts.lost); });
  socket.on('connect_error', function (error) {
    var data = error && error.data;
    if (stopped) return;
    if (data && run('connectError', [data])) return;
    if (!data || !data.code) { setStatus('lost', texts.lost); return; }  // no answer: the client tries again
    if (!RETRY_LATER[data.code]) { stop(data.message || texts.lost); return; }
    setStatus('lost', data.message || texts.lost);
    // a refused connection is not tried again by the client: after a pause (spread, so a room
    // refused at once does not come back at once), once more
    setTimeout(function () { if (!stopped && !socket.connected) socket.connect(); }, 5000 + Math.random() * 5000);
  });
  socket.io.on('reconnect_attempt', function () { if (!stopped) setStatus('lost', texts.lost); });

  socket.on('snapshot', function (snapshot) { apply(snapshot, true); });
  socket.on('state', function (state) { if (state.version >= kit.version) apply(state, false); });
  socket.on('contribution', function (event) { placeItem(event.list || event.step_id, event.key, event.html); });
  socket.on('counts', function (counts) {
    // counts newer than this view that name another step: a `state` was missed, so catch up
    var step = kit.step;
    if (step && typeof counts.step_version === 'number' && counts.version > kit.version &&
        (counts.step_id !== step.id || counts.step_version !== step.version)) { resync(); return; }
    showCounts(counts);
  });

  function start() {
    socket.connect();
    // the device says the network is back: try now rather than at the end of the back-off (up to 5 s)
    window.addEventListener('online', function () {
      if (!stopped && !socket.connected) socket.disconnect().connect();
    });
  }

  // -- drawing the server's state -------------------------------------------------------------
  function apply(state, isSnapshot) {
    keepDrafts();
    var focus = focusBefore();
    var opened = openDetails();
    var previousStep = kit.step && kit.step.id;
    run('beforeApply', [state, isSnapshot]);  // kit.onBeforeApply: the old step still drawn
    kit.version = state.version;
    var step = kit.step = state.step;
    if (state.server_time) clockOffset = Date.parse(state.server_time) - Date.now();
    stage.innerHTML = state.html;
    var sameStep = !!step && step.id === previousStep;
    tick();
    restoreDrafts();
    if (state.counts) showCounts(state.counts);
    run('draw', [state, isSnapshot, sameStep]);  // kit.onDraw: the new one, with countdowns, drafts, counts
    var keep = sameStep || (!step && !previousStep);  // before the start too
    if (keep) reopenDetails(opened, stage);
    var unfound = focusAfter(focus, sameStep);
    // kept for what is drawn after the page (a card's "More", drawn again when reopened): see filled()
    later = keep ? { opened: opened, focus: unfound } : { opened: [], focus: null };
    var previousStatus = kit.status;
    var status = kit.status = state.meeting && state.meeting.status;
    if (!isSnapshot && status === 'live' && step && step.id !== previousStep) announce(texts.newStep + ' ' + step.title);
    else if (!isSnapshot && previousStatus === 'closed' && status === 'published') {
      announce(texts.published);  // the end was announced at the close: now only that the minutes are out
    } else if (!isSnapshot && status !== previousStatus) {
      var heading = stage.querySelector('h1');  // the end of the meeting is news too
      if (heading) announce(heading.textContent);
    }
    run('apply', [state, isSnapshot]);  // kit.onApply: kit.status changed too (last)
  }

  // a redraw must not throw away someone's place: the field they type in (keyboard open, caret
  // where it was), the button they pressed; on a new step, its title, so Tab goes on from there
  function focusKey(el) {
    if (el.id) return '#' + el.id;
    var names = ['data-vote-for', 'data-action', 'data-act', 'data-moderate', 'data-page', 'data-timer', 'data-intro'];
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
    var key = kit.pressed;
    kit.pressed = null;
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
    if (details.id) return '#' + details.id;  // its summary may hold a count that changes
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
  function reopenDetails(keys, root) {
    if (!keys.length) return;
    var all = root.querySelectorAll('details');
    for (var i = 0; i < all.length; i++) if (keys.indexOf(detailsKey(all[i])) !== -1) all[i].open = true;
  }
  function focusOn(before, root) {
    if (!before || !before.key) return false;
    var el = before.key.charAt(0) === '#' ? document.getElementById(before.key.slice(1)) : root.querySelector(before.key);
    if (!el || !root.contains(el) || el.disabled) return false;
    el.focus();
    if (before.caret) try { el.setSelectionRange(before.caret[0], before.caret[1]); } catch (e) { /* not text */ }
    return true;
  }
  // the focus back where it was; returns what it could not find yet (it may be in a part drawn later)
  function focusAfter(before, sameStep) {
    if (!before) return null;
    if ((sameStep || kit.focusAcrossSteps) && focusOn(before, stage)) return null;
    var heading = stage.querySelector('h1');
    if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus(); }
    return before;
  }
  // a part of the page drawn after it (a card's "More", asked for when opened): what was open,
  // typed or focused in it before the last redraw comes back, as it does for the rest of the page
  var later = { opened: [], focus: null };
  function forgetLater() { later = { opened: [], focus: null }; }
  // once the person does something else, what they had open stays closed and the focus stays theirs
  document.addEventListener('pointerdown', forgetLater, true);
  document.addEventListener('keydown', forgetLater, true);
  function filled(part) {
    restoreDrafts(part);
    reopenDetails(later.opened, part);
    if (focusOn(later.focus, part)) later.focus = null;
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
    run('itemPlaced', [item]);
  }

  function showCounts(counts) {
    Object.keys(counts).forEach(function (name) {
      if (typeof counts[name] === 'object') return;
      var nodes = stage.querySelectorAll('[data-count="' + name + '"]');
      for (var i = 0; i < nodes.length; i++) nodes[i].textContent = counts[name];
    });
    if (counts.votes && kit.step && counts.step_id === kit.step.id) showTallies(counts.votes);
  }

  // -- votes: counts from the server, lists kept in order -------------------------------------------
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
    var before = Array.prototype.slice.call(list.children);
    var items = before.slice();
    items.sort(function (a, b) {
      var diff = parseInt(b.getAttribute('data-votes') || '0', 10) - parseInt(a.getAttribute('data-votes') || '0', 10);
      return diff || (parseInt(a.getAttribute('data-key').slice(1), 10) - parseInt(b.getAttribute('data-key').slice(1), 10));
    });
    // moved only when the order changed: counts come several times a second, and every move makes
    // the screen compute its pages again
    if (items.every(function (item, i) { return item === before[i]; })) return;
    items.forEach(function (item) { list.appendChild(item); });
  }

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
  function restoreDrafts(root) {
    var forms = (root || stage).querySelectorAll('form[data-draft]');
    for (var i = 0; i < forms.length; i++) {
      var values = drafts[forms[i].getAttribute('data-draft')];
      if (values) restoreForm(forms[i], values);
    }
  }
  function forgetDraft(key) {
    delete drafts[key];
    save(window.sessionStorage, DRAFTS, drafts);
  }
  stage.addEventListener('input', function () { keepDrafts(); });
  stage.addEventListener('change', function () { keepDrafts(); });

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
      else if (!timedOut && ack.error.code === 'rate_limited') setTimeout(resync, 3000);  // asked too often: later
    });
  }
})();
