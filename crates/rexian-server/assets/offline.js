// Forms marked data-offline="1" (the field worker's crew buttons) survive a lost signal: the
// form is posted with fetch; when the network is down it is kept in localStorage and sent when
// the network returns (the `online` event, or the next page load). Each such form shows its
// state in its .sync-state element: 待发送 (kept, waiting) / 已发送 (sent) / 发送失败 (refused).
// The hidden `at` field is set to the moment the button was pressed (by the server's clock), so
// a form sent late still records when the crew set off or arrived. Embedded in the binary; nothing from outside.
(function () {
  'use strict';

  var KEY = 'rexian.outbox';
  var loadedAt = Date.now();

  // The server's clock now: its time at the page's rendering (data-now) plus the time since;
  // a phone whose own clock is off still records the server's time.
  function serverNow() {
    var all = document.querySelectorAll('[data-now]');
    var now = all.length ? Number(all[all.length - 1].dataset.now) : 0;
    return now ? now + (Date.now() - loadedAt) : Date.now();
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch (e) { return []; }
  }

  function save(items) {
    try { localStorage.setItem(KEY, JSON.stringify(items)); } catch (e) { /* full: kept in memory */ }
  }

  // Shows `state` (pending, sent, failed) on the form with id `formId`, if it is on the page.
  function mark(formId, state, detail) {
    var form = formId && document.getElementById(formId);
    if (!form) return;
    form.dataset.sync = state;
    var el = form.querySelector('.sync-state');
    if (el) el.textContent = (el.dataset[state] || state) + (detail ? ' ' + detail : '');
    var button = form.querySelector('button[type=submit]');
    if (button) button.disabled = state === 'pending';
  }

  function banner() {
    var b = document.getElementById('offline-banner');
    if (b) b.hidden = navigator.onLine !== false;
  }

  // Posts one kept form; resolves to 'sent', 'failed' (the server refused it: kept no more)
  // or 'offline' (no network: kept for later).
  function post(item) {
    return fetch(item.action, {
      method: 'POST',
      body: item.body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      credentials: 'same-origin',
      redirect: 'follow'
    }).then(function (r) {
      return r.ok ? { state: 'sent', url: r.url } : { state: 'failed', status: r.status };
    }, function () {
      return { state: 'offline' };
    });
  }

  var flushing = false;

  // Sends the kept forms in the order they were filled in; stops at the first that finds no
  // network (the rest wait with it).
  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    function next() {
      var items = load();
      if (!items.length) return Promise.resolve();
      var item = items[0];
      return post(item).then(function (r) {
        if (r.state === 'offline') return undefined;
        save(load().filter(function (x) { return x.id !== item.id; }));
        mark(item.form, r.state, r.status ? '(' + r.status + ')' : '');
        return next();
      });
    }
    return next().then(function () { flushing = false; }, function () { flushing = false; });
  }

  function submit(e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || form.dataset.offline !== '1') return;
    e.preventDefault();
    var at = form.querySelector('input[name=at]');
    if (at) at.value = new Date(serverNow()).toISOString();
    var item = {
      id: Date.now() + '-' + Math.random().toString(36).slice(2),
      action: form.action,
      body: new URLSearchParams(new FormData(form)).toString(),
      form: form.id
    };
    var kept = load();
    kept.push(item);
    save(kept);
    mark(form.id, 'pending');
    if (navigator.onLine === false) return;
    // Online: send it now, like an ordinary form, and show the page the server answers.
    post(item).then(function (r) {
      if (r.state === 'offline') return;
      save(load().filter(function (x) { return x.id !== item.id; }));
      mark(form.id, r.state, r.status ? '(' + r.status + ')' : '');
      if (r.state === 'sent' && r.url) window.location.assign(r.url);
    });
  }

  function init() {
    banner();
    load().forEach(function (item) { mark(item.form, 'pending'); });
    document.addEventListener('submit', submit);
    window.addEventListener('online', function () { banner(); flush(); });
    window.addEventListener('offline', banner);
    if (navigator.onLine !== false) flush();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
