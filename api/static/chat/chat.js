// The web chat page: one conversation per browser (its id in localStorage), the
// transcript read back from the assistant on load, a typing indicator while waiting.
(function () {
  "use strict";
  // The page is one dealer's (/chat/<dealer>): its code and greeting come with it, and each
  // dealer's conversation is kept apart in this browser.
  var page = document.querySelector("main.chat");
  var DEALER = page.dataset.dealer;
  var GREETING = page.dataset.greeting;
  var STORAGE_KEY = page.dataset.storageKey;
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var send = document.getElementById("send");
  var busy = false;

  function newConversationId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function conversationId() {
    var id = localStorage.getItem(STORAGE_KEY);
    if (!/^web-[0-9a-f]{32}$/.test(id || "")) {
      id = newConversationId();
      localStorage.setItem(STORAGE_KEY, id);
    }
    return id;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function disableOldChoices() {
    log.querySelectorAll(".choice").forEach(function (b) { b.disabled = true; });
  }

  // The assistant's web addresses (the privacy text) become links; everything else stays
  // text (no HTML from a message is ever parsed).
  var URL_PATTERN = /(https?:\/\/[^\s,，。)）]+)/;

  function fillText(bubble, text, linkify) {
    if (!linkify) { bubble.textContent = text; return; }
    text.split(URL_PATTERN).forEach(function (part, index) {
      if (index % 2 === 0) { bubble.appendChild(document.createTextNode(part)); return; }
      var link = document.createElement("a");
      link.href = part;
      link.textContent = part;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      bubble.appendChild(link);
    });
  }

  function addLine(line) {
    var item = document.createElement("li");
    item.className = "msg msg--" + (line.sender === "user" ? "user" : "bot") + (line.error ? " msg--error" : "");
    if (line.text) {
      var bubble = document.createElement("div");
      bubble.className = "bubble";
      fillText(bubble, line.text, line.sender !== "user");
      item.appendChild(bubble);
    }
    if (line.buttons && line.buttons.length) {
      var choices = document.createElement("div");
      choices.className = "choices";
      line.buttons.forEach(function (button) {
        var choice = document.createElement("button");
        choice.type = "button";
        choice.className = "choice";
        choice.textContent = button.title;
        choice.addEventListener("click", function () { say(button.payload, button.title); });
        choices.appendChild(choice);
      });
      item.appendChild(choices);
    }
    log.appendChild(item);
    scrollDown();
  }

  function typing(on) {
    var current = document.getElementById("typing");
    if (on && !current) {
      log.appendChild(document.getElementById("typing-template").content.cloneNode(true));
      scrollDown();
    } else if (!on && current) {
      current.remove();
    }
  }

  function setBusy(on) {
    busy = on;
    send.disabled = on;
    typing(on);
  }

  function say(message, shown) {
    if (busy || !message) return;
    disableOldChoices();
    addLine({ sender: "user", text: shown || message });
    setBusy(true);
    fetch("/chat/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ conversation_id: conversationId(), text: message, dealer: DEALER })
    }).then(function (response) {
      if (response.status === 429) {  // too many messages from here: the server says how long to wait
        return response.json().then(function (body) { throw { detail: body.detail }; });
      }
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (lines) {
      setBusy(false);
      lines.forEach(addLine);
    }).catch(function (error) {
      setBusy(false);
      var text = (error && error.detail) || "抱歉,网络好像不太稳定,请稍后再试。";
      addLine({ sender: "bot", error: true, text: text });
    }).finally(function () { input.focus(); });
  }

  function loadHistory() {
    addLine({ sender: "bot", text: GREETING });
    setBusy(true);
    return fetch("/chat/history/" + conversationId() + "?dealer=" + encodeURIComponent(DEALER)).then(function (response) {
      return response.ok ? response.json() : [];
    }).catch(function () { return []; }).then(function (lines) {
      setBusy(false);
      lines.forEach(addLine);
      disableOldChoices();
      // Only the assistant's last offer stays clickable.
      var last = log.lastElementChild;
      if (last && last.classList.contains("msg--bot")) {
        last.querySelectorAll(".choice").forEach(function (b) { b.disabled = false; });
      }
      document.body.dataset.ready = "true";
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    say(text);
  });

  document.getElementById("restart").addEventListener("click", function () {
    localStorage.setItem(STORAGE_KEY, newConversationId());
    log.innerHTML = "";
    loadHistory();
  });

  loadHistory();
})();
