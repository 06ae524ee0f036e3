// Rexian console behaviour: live countdown badges, keyboard shortcuts of the intake screen,
// the signature pad of the repair form, filling the intake from the customer register, print.
// Embedded in the binary; no inline scripts (the CSP forbids them) and nothing from outside.
(function () {
  'use strict';

  function labels() {
    var d = document.body.dataset;
    return { d: d.cdD || 'd', h: d.cdH || 'h', m: d.cdM || 'm',
      lp: d.cdLeftPre || '', ls: d.cdLeftPost || '', op: d.cdOverPre || '', os: d.cdOverPost || '' };
  }

  function span(ms, l) {
    var mins = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(mins / 1440), h = Math.floor((mins % 1440) / 60), m = mins % 60;
    if (d > 0) return d + l.d + h + l.h;
    if (h > 0) return h + l.h + (m < 10 ? '0' : '') + m + l.m;
    return m + l.m;
  }

  // Countdown badges: data-due / data-amber in ms since the epoch; the server's clock decides
  // the first rendering, the browser keeps it moving.
  var skew = 0;
  function tick() {
    var l = labels();
    var now = Date.now() + skew;
    document.querySelectorAll('.cd[data-due]').forEach(function (el) {
      var due = Number(el.dataset.due), amber = Number(el.dataset.amber);
      if (!due) return;
      var cls = due <= now ? 'red' : (amber <= now ? 'amber' : 'green');
      el.classList.remove('green', 'amber', 'red');
      el.classList.add(cls);
      var text = el.querySelector('.cd-text') || el;
      text.textContent = due <= now ? l.op + span(now - due, l) + l.os : l.lp + span(due - now, l) + l.ls;
    });
  }

  // The server's now (data-now of the latest rendering) against the browser's clock.
  function syncClock() {
    var all = document.querySelectorAll('[data-now]');
    var now = all.length ? Number(all[all.length - 1].dataset.now) : 0;
    if (now) skew = now - Date.now();
  }

  // A file input with data-fill="<textarea id>" reads the chosen text file into that textarea.
  function setupFileFill(root) {
    root.querySelectorAll('input[type=file][data-fill]').forEach(function (input) {
      input.addEventListener('change', function () {
        var target = document.getElementById(input.dataset.fill);
        var file = input.files && input.files[0];
        if (!target || !file) return;
        file.text().then(function (text) { target.value = text; });
      });
    });
  }

  function init() {
    syncClock();
    setInterval(tick, 30000);
    setupSignatures(document);
    setupFileFill(document);
    setupAckAll(document);
    document.body.addEventListener('htmx:afterSwap', function () { syncClock(); });
    // Live queues: mark whether the SSE stream is open (polling goes on either way).
    document.body.addEventListener('htmx:sseOpen', function (e) { e.target.dataset.live = 'on'; });
    document.body.addEventListener('htmx:sseError', function (e) { e.target.dataset.live = 'off'; });
  }

  // Keyboard: elements with data-key="F2" are focused by that key; Ctrl+Enter submits a form
  // that has data-submit-key.
  document.addEventListener('keydown', function (e) {
    if (/^F\d+$/.test(e.key)) {
      var el = document.querySelector('[data-key="' + e.key + '"]');
      if (el) { e.preventDefault(); el.focus(); }
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      var form = e.target.closest && e.target.closest('form[data-submit-key]');
      if (form) { e.preventDefault(); form.requestSubmit(); }
    }
  });

  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    // Fill the intake form from a register entry.
    if (t.hasAttribute('data-fill-name')) {
      ['name', 'account_no', 'phone', 'address', 'community'].forEach(function (k) {
        var v = t.getAttribute('data-fill-' + k);
        var input = document.getElementById(k);
        if (input && v) input.value = v;
      });
    }
    if (t.hasAttribute('data-print')) window.print();
    var clear = t.getAttribute('data-clear-signature');
    if (clear) {
      var c = document.getElementById(clear);
      if (c) {
        c.getContext('2d').clearRect(0, 0, c.width, c.height);
        var target = document.getElementById(c.dataset.target);
        if (target) target.value = '';
      }
    }
  });

  // The customer's signature, drawn with a finger or the mouse; stored as a PNG data URL.
  function setupSignatures(root) {
    root.querySelectorAll('canvas.signature-pad').forEach(function (c) {
      if (c.dataset.ready) return;
      c.dataset.ready = '1';
      var ctx = c.getContext('2d');
      ctx.lineWidth = 3; ctx.lineCap = 'round'; ctx.strokeStyle = '#111';
      var drawing = false, drawn = false;
      function pos(e) {
        var r = c.getBoundingClientRect();
        return { x: (e.clientX - r.left) * c.width / r.width, y: (e.clientY - r.top) * c.height / r.height };
      }
      c.addEventListener('pointerdown', function (e) {
        drawing = true; c.setPointerCapture(e.pointerId);
        var p = pos(e); ctx.beginPath(); ctx.moveTo(p.x, p.y);
      });
      c.addEventListener('pointermove', function (e) {
        if (!drawing) return;
        var p = pos(e); ctx.lineTo(p.x, p.y); ctx.stroke(); drawn = true;
      });
      function end() {
        if (!drawing) return;
        drawing = false;
        var target = document.getElementById(c.dataset.target);
        if (target && drawn) target.value = c.toDataURL('image/png');
      }
      c.addEventListener('pointerup', end);
      c.addEventListener('pointercancel', end);
      c.addEventListener('pointerleave', end);
    });
  }

  // Handover acceptance: the button is enabled only when every item is ticked (the server
  // refuses a missing one anyway).
  function setupAckAll(root) {
    root.querySelectorAll('form[data-ack-all]').forEach(function (form) {
      var boxes = form.querySelectorAll('input[type=checkbox][name=ack]');
      var button = form.querySelector('button[type=submit]');
      var left = form.querySelector('.ack-left');
      function update() {
        var n = 0;
        boxes.forEach(function (b) { if (!b.checked) n += 1; });
        if (button) button.disabled = n > 0;
        if (left) left.textContent = n > 0 ? n + ' ' + (left.dataset.left || '') : '';
      }
      boxes.forEach(function (b) { b.addEventListener('change', update); });
      update();
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
