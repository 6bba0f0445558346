// The prepare page without reloading it: rows of an activity's options (news items, topics, their
// examples, poll questions, example cards) are added, moved and removed in the page, and steps are
// moved by asking the server. Without this script the page still works: an empty row at the end of
// each list adds one, a "remove when saving" box removes one, the step buttons post a form.
'use strict';

(() => {
  const status = document.getElementById('prepare-status');
  const say = (text) => {
    if (!status) return;
    status.textContent = '';
    window.setTimeout(() => { status.textContent = text; }, 50);
  };
  const text = (name) => (document.body.dataset[name] || '');

  // -- rows ---------------------------------------------------------------------------------
  const templates = new WeakMap();
  const ready = new WeakSet();
  const rowsOf = (list) => Array.from(list.querySelector(':scope > ol').children).filter((el) => el.matches('[data-row]'));
  const prefixOf = (el) => ((el.closest('form') || {}).dataset || {}).prefix || '';
  const idOf = (prefix, path) => prefix + path.replace(/[^A-Za-z0-9_-]/g, '-');

  const swap = (value, old, next, separator) => {
    if (value === old) return next;
    if (value.startsWith(old + separator)) return next + value.slice(old.length);
    return value;
  };

  // a row's fields are named after its place in the list: give them their new place
  const rewrite = (row, old, next) => {
    const prefix = prefixOf(row);
    const oldId = idOf(prefix, old);
    const newId = idOf(prefix, next);
    for (const el of [row, ...row.querySelectorAll('*')]) {
      for (const attr of ['name', 'data-path']) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, swap(value, old, next, '.'));
      }
      for (const attr of ['id', 'for']) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, swap(value, oldId, newId, '-'));
      }
      const described = el.getAttribute('aria-describedby');
      if (described) {
        el.setAttribute('aria-describedby', described.split(' ').map((id) => swap(id, oldId, newId, '-')).join(' '));
      }
    }
  };

  const ownOf = (row, selector) => Array.from(row.querySelectorAll(selector)).filter((el) => el.closest('[data-row]') === row);

  const renumber = (list) => {
    rowsOf(list).forEach((row, index) => {
      const next = `${list.dataset.path}.${index}`;
      if (row.dataset.path !== next) rewrite(row, row.dataset.path, next);
      const label = ownOf(row, '[data-row-label]')[0];
      ownOf(row, '[data-number]').forEach((el) => { el.textContent = String(index + 1); });
      ownOf(row, '[data-row-name]').forEach((el) => { el.textContent = label ? label.textContent.trim() : ''; });
    });
  };

  const showTypes = (row) => {
    const kind = ownOf(row, 'select[data-name="type"]')[0];
    if (!kind) return;
    ownOf(row, '[data-for-types]').forEach((field) => {
      field.hidden = !field.dataset.forTypes.split(' ').includes(kind.value);
    });
  };

  const setUpRow = (row) => {
    ownOf(row, '[data-row-tools]').forEach((tools) => { tools.hidden = false; });
    ownOf(row, '.no-script').forEach((el) => { el.hidden = true; });
    showTypes(row);
    row.querySelectorAll('fieldset.option-rows').forEach(setUpList);
  };

  function setUpList(list) {
    // a list inside a row kept aside as the model of a new row is set up when that row is added
    if (!list.isConnected || ready.has(list)) return;
    ready.add(list);
    const blank = list.querySelector(':scope > ol > [data-blank]');
    if (blank) {
      blank.remove();
      templates.set(list, blank);
    }
    const add = list.querySelector(':scope > [data-add]');
    if (add) add.hidden = false;
    rowsOf(list).forEach(setUpRow);
  }

  const addRow = (list) => {
    const model = templates.get(list);
    if (!model) return;
    const max = Number(list.dataset.max || 40);
    if (rowsOf(list).length >= max) {
      say(text('tooMany').replace('%(max)d', String(max)));
      return;
    }
    const row = model.cloneNode(true);
    row.removeAttribute('data-blank');
    ownOf(row, '[data-blank-label]').forEach((el) => el.remove());
    ownOf(row, '[data-row-label]').forEach((el) => { el.hidden = false; });
    list.querySelector(':scope > ol').appendChild(row);
    renumber(list);
    setUpRow(row);
    const first = row.querySelector('input:not([type=hidden]), select, textarea');
    if (first) first.focus();
    const label = ownOf(row, '[data-row-label]')[0];
    say(text('added').replace('%(what)s', label ? label.textContent.trim() : ''));
  };

  const moveRow = (button, offset) => {
    const row = button.closest('[data-row]');
    const list = row.closest('fieldset.option-rows');
    const rows = rowsOf(list);
    const target = rows.indexOf(row) + offset;
    if (target < 0 || target >= rows.length) return;
    const ol = list.querySelector(':scope > ol');
    ol.insertBefore(row, offset < 0 ? rows[target] : rows[target].nextSibling);
    renumber(list);
    button.focus();
    say(text('moved').replace('%(number)d', String(target + 1)).replace('%(total)d', String(rows.length)));
  };

  const removeRow = (button) => {
    const row = button.closest('[data-row]');
    const list = row.closest('fieldset.option-rows');
    const rows = rowsOf(list);
    const index = rows.indexOf(row);
    row.remove();
    renumber(list);
    const left = rowsOf(list);
    const next = left[Math.min(index, left.length - 1)];
    const focus = next ? ownOf(next, '[data-remove]')[0] : list.querySelector(':scope > [data-add]');
    if (focus) focus.focus();
    say(text('removed'));
  };

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    if (button.matches('[data-add]')) addRow(button.closest('fieldset.option-rows'));
    else if (button.matches('[data-move]')) moveRow(button, Number(button.dataset.move));
    else if (button.matches('[data-remove]')) removeRow(button);
  });

  document.addEventListener('change', (event) => {
    if (event.target.matches('select[data-name="type"]')) showTypes(event.target.closest('[data-row]'));
  });

  // -- steps ----------------------------------------------------------------------------------
  const steps = document.querySelector('[data-steps]');
  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!form.matches('[data-move-step]') || !steps) return;
    event.preventDefault();
    const button = event.submitter || form.querySelector('button');
    const item = form.closest('[data-step]');
    let answer = null;
    try {
      // the form has a field named "action", which hides form.action
      const response = await fetch(form.getAttribute('action') || window.location.href, {
        method: 'POST',
        body: new FormData(form),
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
      });
      answer = await response.json();
    } catch (error) {
      HTMLFormElement.prototype.submit.call(form);
      return;
    }
    if (!answer.ok) {
      say(answer.error ? answer.error.message : '');
      return;
    }
    for (const id of answer.order) {
      const li = steps.querySelector(`:scope > [data-step="${id}"]`);
      if (li) steps.appendChild(li);
    }
    button.focus();
    const position = answer.order.indexOf(Number(item.dataset.step)) + 1;
    say(text('stepMoved').replace('%(number)d', String(position)).replace('%(total)d', String(answer.order.length)));
  });

  document.querySelectorAll('fieldset.option-rows').forEach(setUpList);
})();
