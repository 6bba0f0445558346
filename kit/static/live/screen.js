/* The projected screen's part of kit's live client (after common.js). Nobody scrolls a projector:
   a step longer than the screen is cut into pages of whole cards, never a card in half, and shows
   one page at a time — the step's title, its timer, the QR corner and any countdown stay. Pages
   turn by themselves (slower when a page holds more to read), or by a presentation clicker
   (PageDown/PageUp, arrows, B or "." for a blank screen, Escape to let pages turn again), or from
   the console (`page` events). The screen tells the console which page it shows (`page_shown`).

   A page is computed, not scrolled to: in each region marked data-paged, the "units" (cards,
   paragraphs, bands, news items…) are shown from the first one of the page to the last one that
   still fits, the others set aside (class off-page); a section (a topic, a kind of news, a poll
   question) shows with its heading wherever one of its units is on the page. A region's page count
   is its own; the screen's pages are the main region's, a side region (the deadlines) turns with it. */
(function () {
  'use strict';
  var kit = window.kit;
  var body = kit.body;
  var stage = kit.stage;
  var socket = kit.socket;

  var UNIT = '[data-unit], .card, .need, .news-item, .attendance > li, .skill-cloud > li, .signature, .deadlines li, ' +
    '.diag-list > li, .checkin-layout .host, .checkin-layout .presentation, .checkin-layout .venue';
  var SECTION = '.topic, .news-kind, .roadmap-section, .poll-result, .examples, .diag-question, .diag-gaps';
  var pageEl = document.getElementById('screen-page');
  var blankEl = document.getElementById('screen-blank');
  var corner = document.getElementById('corner-join');

  var regions = [];      // [{el, units, sections, pages: [[start, end)…]}], the main one first
  var page = 0;          // the page shown, from 0
  var pageCount = 1;
  var paused = false;    // a clicker or the console took the pages in hand
  var blank = false;
  var lastReport = '';

  // -- what a page holds ---------------------------------------------------------------------
  function visible(el) { return el.getClientRects().length > 0; }
  function inOwnRegion(el, region) { return el.parentElement.closest('[data-paged]') === region; }
  function byDocumentOrder(a, b) { return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1; }

  function collect(region) {
    var units = [];
    var sections = [];
    var found = region.querySelectorAll(UNIT + ',' + SECTION);
    for (var i = 0; i < found.length; i++) {
      var el = found[i];
      if (!inOwnRegion(el, region) || !visible(el)) continue;
      if (el.matches(SECTION)) { sections.push(el); continue; }
      var outer = el.parentElement.closest(UNIT);
      if (outer && region.contains(outer)) continue;  // a card inside a card: the outer one is the unit
      units.push(el);
    }
    // a section without units (a chart, a topic with nothing yet) is one unit itself
    var holding = function (section) { return units.some(function (unit) { return section.contains(unit); }); };
    var empty = sections.filter(function (section) { return !holding(section); });
    empty.forEach(function (section) {
      if (!empty.some(function (other) { return other !== section && other.contains(section); })) units.push(section);
    });
    sections = sections.filter(holding);
    units.sort(byDocumentOrder);
    var flows = units.map(function (unit) { return flowOf(unit, region); });
    return { el: region, units: units, flows: flows, sections: sections, pages: [[0, units.length]] };
  }

  function show(region, start, end) {
    var units = region.units;
    for (var i = 0; i < units.length; i++) units[i].classList.toggle('off-page', i < start || i >= end);
    region.sections.forEach(function (section) {
      var on = false;
      for (var j = start; j < end && !on; j++) on = section.contains(units[j]);
      section.classList.toggle('off-page', !on);
    });
  }
  // a page overflows down (blocks) or to the right (a column more than the screen holds); and no
  // unit may be split across two columns or run out of the columns it flows in
  function flowOf(unit, region) {
    for (var el = unit.parentElement; el && el !== region; el = el.parentElement) {
      var style = getComputedStyle(el);
      if (style.columnWidth !== 'auto' || style.columnCount !== 'auto') return el;
    }
    return region;
  }
  function overflows(el) { return el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1; }
  function fits(region) {
    var el = region.el;
    // what every page shows (a prompt, a speaker's name) may already be more than the screen holds:
    // then only the units themselves are judged, or no page would ever fit
    if (!region.fullAlready && overflows(el)) return false;
    for (var i = 0; i < region.units.length; i++) {
      var unit = region.units[i];
      if (unit.classList.contains('off-page')) continue;
      var boxes = unit.getClientRects();
      if (boxes.length > 1) return false;
      if (!boxes.length) continue;
      var flow = region.flows[i].getBoundingClientRect();
      if (boxes[0].right > flow.right + 1 || boxes[0].bottom > flow.bottom + 1) return false;
    }
    return true;
  }

  function paginate(region) {
    var n = region.units.length;
    var pages = [];
    var start = 0;
    show(region, 0, 0);
    region.fullAlready = overflows(region.el);
    // a unit split across columns when all are shown is taller than a column: made smaller first
    show(region, 0, n);
    var tall = region.units.filter(function (unit) { return unit.getClientRects().length > 1; });
    tall.forEach(function (unit) {
      var index = region.units.indexOf(unit);
      show(region, index, index + 1);
      shrink(region, unit);
    });
    while (start < n) {
      show(region, start, start + 1);
      if (!fits(region)) shrink(region, region.units[start]);
      // the longest run from `start` that fits: more units never take less room. Found by doubling
      // the run until it no longer fits, then halving the gap: each layout holds at most twice a
      // page, where a search over all that is left laid out 60 cards to place 10 (a long step's
      // 130 cards took seconds a layout on a modest machine)
      var low = start + 1;
      var high = n;
      for (var step = 1; low < high; step *= 2) {
        var end = Math.min(n, start + 2 * step);
        show(region, start, end);
        if (!fits(region)) { high = end - 1; break; }
        low = end;
      }
      while (low < high) {
        var middle = Math.ceil((low + high) / 2);
        show(region, start, middle);
        if (fits(region)) low = middle; else high = middle - 1;
      }
      pages.push([start, low]);
      start = low;
    }
    region.pages = pages.length ? pages : [[0, 0]];
  }
  // one card taller than the whole screen (a very long text): made smaller until it fits, never cut
  function shrink(region, unit) {
    var zoom = 1;
    var room = region.flows[region.units.indexOf(unit)].getBoundingClientRect().height || region.el.clientHeight;
    for (var i = 0; i < 12 && !fits(region); i++) {
      var boxes = unit.getClientRects();
      var tall = 0;
      for (var j = 0; j < boxes.length; j++) tall += boxes[j].height;
      zoom *= Math.max(0.4, Math.min(0.95, tall > room ? room / tall : 0.95));
      unit.style.zoom = zoom;
    }
  }

  function foldIntro() {
    var step = stage.querySelector('.step');
    if (!step) return;
    var mode = step.getAttribute('data-intro') || 'auto';
    var arrived = stage.querySelectorAll('[data-items] > [data-key]:not([hidden])').length > 0;
    step.classList.toggle('intro-folded', mode === 'folded' || (mode === 'auto' && arrived));
  }

  function layOut(keepPlace) {
    var first = keepPlace && regions.length && regions[0].units[(regions[0].pages[page] || [0])[0]];
    var was = keepPlace ? page : 0;
    foldIntro();
    var found = stage.querySelectorAll('[data-paged]');
    regions = [];
    var i;
    for (i = 0; i < found.length; i++) {
      found[i].style.height = '';
      found[i].style.maxHeight = '';
      var all = found[i].querySelectorAll('.off-page');
      for (var j = 0; j < all.length; j++) all[j].classList.remove('off-page');
      var zoomed = found[i].querySelectorAll('[style*="zoom"]');
      for (var k = 0; k < zoomed.length; k++) zoomed[k].style.zoom = '';
    }
    // the main region fills the screen under the step's header; side regions (inside it) first
    var main = null;
    for (i = 0; i < found.length; i++) {
      if (!found[i].parentElement.closest('[data-paged]')) { main = found[i]; break; }
    }
    if (main) {
      var room = window.innerHeight - main.getBoundingClientRect().top - window.innerHeight * 0.07;  // the page number below
      main.style.height = Math.max(120, Math.floor(room)) + 'px';
    }
    for (i = 0; i < found.length; i++) {
      if (found[i] === main) continue;
      if (main) found[i].style.maxHeight = Math.max(120, main.getBoundingClientRect().bottom - found[i].getBoundingClientRect().top) + 'px';
      var region = collect(found[i]);
      paginate(region);
      show(region, region.pages[0][0], region.pages[0][1]);
      regions.push(region);
    }
    if (main) {
      var mainRegion = collect(main);
      paginate(mainRegion);
      regions.unshift(mainRegion);
    }
    pageCount = regions.reduce(function (most, r) { return Math.max(most, r.pages.length); }, 1);
    // the same step drawn again (a timer, a count): the page that held the same first card, or the same page
    page = was;
    var index = first && main ? regions[0].units.indexOf(first) : -1;
    if (index !== -1) {
      regions[0].pages.forEach(function (range, p) { if (index >= range[0] && index < range[1]) page = p; });
    }
    showPage();
  }

  function showPage() {
    page = Math.max(0, Math.min(page, pageCount - 1));
    regions.forEach(function (region) {
      var range = region.pages[page % region.pages.length];
      show(region, range[0], range[1]);
    });
    if (pageEl) {
      pageEl.hidden = pageCount < 2;
      pageEl.textContent = (page + 1) + ' / ' + pageCount;
      pageEl.classList.toggle('paused', paused);
    }
    report();
    planTurn();
  }

  // -- turning pages -------------------------------------------------------------------------
  // a page stays long enough to be read: about 25 characters a second, between 8 and 40 seconds
  // (data-page-seconds on the body sets it, for tests); counted from when the page was shown
  var shownAt = Date.now();
  var textSeconds = 8;
  function planTurn() {
    shownAt = Date.now();
    var text = regions.length ? regions[0].el.innerText.length : 0;
    textSeconds = Math.max(8, Math.min(40, text / 25));
  }
  setInterval(function () {
    if (paused || pageCount < 2) return;
    var seconds = parseFloat(body.getAttribute('data-page-seconds')) || textSeconds;
    if (Date.now() - shownAt < seconds * 1000) return;
    page = (page + 1) % pageCount;
    showPage();
  }, 250);
  function go(offset) {
    paused = true;
    page = Math.max(0, Math.min(pageCount - 1, page + offset));
    showPage();
  }
  function setBlank(on) {
    blank = on;
    if (blankEl) blankEl.hidden = !on;
    report();
  }
  function resume() {
    paused = false;
    setBlank(false);
    showPage();
  }

  function report() {
    if (!kit.step || !socket.connected) return;
    var now = { page: page + 1, pages: pageCount, paused: paused, blank: blank };
    var said = JSON.stringify(now) + kit.step.id;
    if (said === lastReport) return;
    lastReport = said;
    socket.emit('page_shown', now, function () { /* the console shows it; nothing to do here */ });
  }

  // a presentation clicker sends PageDown/PageUp (some: arrows), "b" or "." for a blank screen,
  // Escape to leave the slideshow; F5 is left alone (it reloads the page, which is harmless)
  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    var key = event.key;
    if (key === 'PageDown' || key === 'ArrowRight' || key === 'ArrowDown' || key === ' ') go(+1);
    else if (key === 'PageUp' || key === 'ArrowLeft' || key === 'ArrowUp') go(-1);
    else if (key === 'Home') go(-pageCount);
    else if (key === 'End') go(pageCount);
    else if (key === 'b' || key === 'B' || key === '.') setBlank(!blank);
    else if (key === 'Escape') resume();
    else return;
    event.preventDefault();
  });

  socket.on('page', function (command) {
    if (kit.step && command.step_id !== kit.step.id) return;
    if (command.action === 'next') go(+1);
    else if (command.action === 'previous') go(-1);
    else if (command.action === 'pause') { paused = true; showPage(); }
    else if (command.action === 'resume') resume();
    else if (command.action === 'blank') setBlank(true);
    else if (command.action === 'unblank') setBlank(false);
  });
  socket.on('connect', function () { lastReport = ''; report(); });

  kit.onDraw(function (state, isSnapshot, sameStep) {
    if (!sameStep) { paused = false; page = 0; }
    if (corner) corner.hidden = !!(state.meeting && state.meeting.joining_locked);
    layOut(sameStep);
  });
  // a card arrives, or a list is sorted again by votes: the pages are computed again, soon — at
  // most 150 ms after the first change, however many follow (cards and counts arrive several
  // times a second in a busy room; a timer put off at each one would never fire)
  var relayout = null;
  new MutationObserver(function (records) {
    var lists = records.some(function (record) {
      return record.target.nodeType === 1 && record.target.hasAttribute('data-items');
    });
    if (!lists || relayout) return;
    relayout = setTimeout(function () { relayout = null; layOut(true); }, 150);
  }).observe(stage, { childList: true, subtree: true });
  var resizing = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { layOut(true); }, 200);
  });

  kit.start();
})();
