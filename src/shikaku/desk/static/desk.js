// Operator page: live FAQ search in the caller's language beside Japanese, and "use this
// answer" to fill the form's FAQ id and category. Text is inserted with textContent only.
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("texts").textContent);
  var q = document.getElementById("faq-q");
  var langSelect = document.getElementById("language");
  var results = document.getElementById("faq-results");
  var notice = document.getElementById("faq-notice");
  var timer = null;
  var seq = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function side(entry, lang, fallbackText) {
    var box = el("div", "side " + (lang === "ja" ? "ja" : "own"));
    box.setAttribute("lang", lang);
    box.dataset.lang = lang;
    var head = el("p", "side-lang", lang);
    if (entry) {
      head.appendChild(el("span", "state", entry.review_state));
      if (entry.stale) head.appendChild(el("span", "state stale", T.stale));
    }
    box.appendChild(head);
    if (!entry) {
      box.appendChild(el("p", "missing", fallbackText));
      return box;
    }
    box.appendChild(el("p", "question", entry.question));
    box.appendChild(el("p", "answer", entry.answer));
    return box;
  }

  function render(data) {
    results.textContent = "";
    results.dataset.query = data.query;
    results.dataset.lang = data.lang;
    if (data.notice) {
      notice.textContent = data.notice;
      notice.hidden = false;
    } else {
      notice.hidden = true;
    }
    if (!data.hits.length) {
      results.appendChild(el("p", "empty", T.faq_none));
      return;
    }
    data.hits.forEach(function (h) {
      var art = el("article", "hit");
      art.dataset.entry = h.entry_id;
      art.dataset.category = h.category;
      var top = el("div", "hit-head");
      top.appendChild(el("code", "entry-id", h.entry_id));
      var use = el("button", "use", T.use);
      use.type = "button";
      use.addEventListener("click", function () {
        document.getElementById("faq_entry_id").value = h.entry_id;
        var cat = document.getElementById("category");
        if (cat) cat.value = h.category;
        art.classList.add("chosen");
      });
      top.appendChild(use);
      art.appendChild(top);
      var pair = el("div", "pair");
      if (data.lang !== "ja") pair.appendChild(side(h.own, data.lang, T.not_translated));
      pair.appendChild(side(h.ja, "ja", ""));
      art.appendChild(pair);
      results.appendChild(art);
    });
  }

  function search() {
    var text = q.value.trim();
    var mine = ++seq;
    if (!text) {
      results.textContent = "";
      notice.hidden = true;
      return;
    }
    var url = "/desk/faq?q=" + encodeURIComponent(text) + "&lang=" +
      encodeURIComponent(langSelect ? langSelect.value : "ja");
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === seq) render(data); })
      .catch(function () { /* keep the last results */ });
  }

  function later() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(search, 200);
  }

  q.addEventListener("input", later);
  document.getElementById("faq-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    search();
  });
  if (langSelect) langSelect.addEventListener("change", search);
})();
