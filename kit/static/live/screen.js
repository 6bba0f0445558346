/* The projected screen's part of kit's live client (after common.js): a new step starts at its
   top, and a step longer than the screen pages through by itself, gently (nobody scrolls a
   projector); the step's title stays on top, a small "2 / 3" says where it is. */
(function () {
  'use strict';
  var kit = window.kit;
  var body = kit.body;
  var stage = kit.stage;

  kit.onDraw(function (state, isSnapshot, sameStep) {
    if (!sameStep) window.scrollTo(0, 0);  // a new step starts at its top
    showPage();
  });
  kit.onItemPlaced(showPage);

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
  screenPaging();
  window.addEventListener('scroll', showPage);
  window.addEventListener('resize', showPage);

  kit.start();
})();
