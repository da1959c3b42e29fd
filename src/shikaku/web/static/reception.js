// Reception page: calls the JSON API with the clinic's key and renders a result card.
// No framework; DOM built with textContent only (never innerHTML with data).
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("texts").textContent);
  const LANG = JSON.parse(document.getElementById("page-lang").textContent);
  const KEY = "shikaku.apiKey";
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children || []) if (c) node.appendChild(c);
    return node;
  }
  const label = (obj) => (obj ? (LANG === "en" ? obj.label_en : obj.label_ja) : "");
  const msg = (obj) => (obj ? (LANG === "en" ? obj.message_en : obj.message_ja) : "");

  // --- API key (sessionStorage: gone when the tab closes) ---
  function showKeyState() {
    const has = !!sessionStorage.getItem(KEY);
    $("key-form").hidden = has;
    $("key-status").hidden = !has;
  }
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, $("api-key").value.trim());
    $("api-key").value = "";
    showKeyState();
  });
  $("key-change").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    showKeyState();
  });
  showKeyState();

  // --- tabs ---
  function selectTab(which) {
    const qr = which === "qr";
    $("tab-numbers").setAttribute("aria-selected", String(!qr));
    $("tab-qr").setAttribute("aria-selected", String(qr));
    $("numbers-form").hidden = qr;
    $("qr-form").hidden = !qr;
    (qr ? $("qr") : $("insurer_number")).focus();
  }
  $("tab-numbers").addEventListener("click", () => selectTab("numbers"));
  $("tab-qr").addEventListener("click", () => selectTab("qr"));

  // --- rendering ---
  function row(name, value, id) {
    if (value === null || value === undefined || value === "") return null;
    const attrs = id ? { "data-field": id } : {};
    return el("div", Object.assign({ class: "row" }, attrs), [
      el("dt", { text: name }),
      el("dd", { text: String(value) }),
    ]);
  }

  function renderAnswer(a) {
    const box = $("result");
    box.replaceChildren();
    box.hidden = false;
    const code = a.validity.code;
    const ok = a.covered;
    box.className = ok ? "card ok" : "card ng";
    box.appendChild(el("h2", { text: T.result }));
    box.appendChild(
      el("p", { class: "badge", id: "validity", "data-code": String(code) }, [
        el("span", { class: "code", text: String(code) }),
        el("span", { text: " " + label(a.validity) }),
      ])
    );
    const e = a.eligibility;
    const dl = el("dl");
    if (e) {
      dl.append(
        ...[
          row(T.name, e.name, "name"),
          row(T.name_kana, e.name_kana, "name_kana"),
          row(T.birth_date, e.birth_date, "birth_date"),
          row(T.relationship, label(e.relationship), "relationship"),
          row(T.insurer, (LANG === "en" ? e.insurer_name_en : e.insurer_name_ja) + " (" + e.insurer_number + ")", "insurer"),
          row(T.member_key, e.symbol + "・" + e.number + "・" + e.branch, "member_key"),
          row(T.period, e.valid_from + " – " + (e.valid_to || ""), "period"),
          e.copay
            ? row(T.copay, LANG === "en" ? e.copay.ratio + "% (" + e.copay.reason_en + ")" : e.copay.ratio / 10 + "割 (" + e.copay.reason_ja + ")", "copay")
            : null,
          e.loss_reason ? row(T.loss_reason, label(e.loss_reason), "loss_reason") : null,
        ].filter(Boolean)
      );
    }
    box.appendChild(dl);
    const d = a.document;
    if (d) {
      const until = d.valid_until ? " (" + d.valid_until + " " + T.until + ")" : "";
      box.appendChild(
        el("div", { class: d.acceptable ? "doc accept" : "doc refuse", id: "document", "data-rule": d.rule }, [
          el("strong", { text: (LANG === "en" ? d.label_en : d.label_ja) + ": " + (d.acceptable ? T.acceptable : T.not_acceptable) + until }),
          el("p", { id: "document-message", text: msg(d) }),
        ])
      );
    }
    box.appendChild(el("p", { class: "rid", text: T.request_id + ": " + a.request_id }));
  }

  function renderProblem(p) {
    const box = $("result");
    box.replaceChildren();
    box.hidden = false;
    box.className = "card error";
    box.appendChild(el("h2", { text: T.error }));
    const list = el("ul", { id: "errors" });
    const errors = p.errors && p.errors.length ? p.errors : [p];
    for (const err of errors) {
      list.appendChild(el("li", { "data-rule": err.rule_id, "data-field": err.field || "", text: msg(err) }));
    }
    box.appendChild(list);
  }

  async function call(path, body) {
    const key = sessionStorage.getItem(KEY);
    if (!key) {
      renderProblem({ rule_id: "auth.missing", message_ja: T.no_key, message_en: T.no_key });
      return;
    }
    try {
      const res = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + key },
        body: JSON.stringify(body),
      });
      const data = await res.json();
      if (res.ok) renderAnswer(data);
      else renderProblem(data);
    } catch (err) {
      renderProblem({ rule_id: "network", message_ja: T.network_error, message_en: T.network_error });
    }
  }

  $("numbers-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const body = {};
    for (const [k, v] of new FormData(e.target).entries()) if (v !== "") body[k] = v;
    call("/api/v1/eligibility", body);
  });
  $("numbers-form").addEventListener("reset", () => {
    $("result").hidden = true;
  });
  $("qr-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { qr: $("qr").value, presented_document: "certificate" };
    if ($("qr_service_date").value) body.service_date = $("qr_service_date").value;
    call("/api/v1/eligibility/qr", body).then(() => {
      $("qr").value = "";
      $("qr").focus();
    });
  });
})();
