// Web chat: sends what the young person types, shows the bot's answers and
// quick replies, and polls for messages that arrive later (a counsellor's,
// or the bot's once a service is back).
(() => {
  "use strict";

  const POLL_MS = 3000;
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  const status = document.getElementById("status");

  const senderId = (() => {
    let id = localStorage.getItem("maraude.sender");
    if (!id) {
      id = "web-" + crypto.randomUUID();
      localStorage.setItem("maraude.sender", id);
    }
    return id;
  })();
  let cursor = Number(localStorage.getItem("maraude.cursor") || 0);
  let busy = false;

  function setCursor(value) {
    if (typeof value === "number" && value > cursor) {
      cursor = value;
      localStorage.setItem("maraude.cursor", String(cursor));
    }
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  // Web addresses in the bot's words become links (a Mission Locale's map);
  // everything else stays text, never HTML.
  const LINK = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]/g;

  function fillWithLinks(node, text) {
    let last = 0;
    for (const match of text.matchAll(LINK)) {
      node.append(text.slice(last, match.index));
      const link = document.createElement("a");
      link.href = match[0];
      link.textContent = match[0];
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      node.append(link);
      last = match.index + match[0].length;
    }
    node.append(text.slice(last));
  }

  function addBubble(text, who, extraClass) {
    const item = document.createElement("li");
    item.className = `msg msg--${who}` + (extraClass ? ` ${extraClass}` : "");
    if (who === "bot") {
      fillWithLinks(item, text);
    } else {
      item.textContent = text;
    }
    log.appendChild(item);
    scrollDown();
    return item;
  }

  function clearChoices() {
    log.querySelectorAll(".choices").forEach((node) => node.remove());
  }

  function addChoices(buttons) {
    const item = document.createElement("li");
    item.className = "choices";
    for (const button of buttons) {
      const choice = document.createElement("button");
      choice.type = "button";
      choice.className = "choice";
      choice.textContent = button.title;
      choice.addEventListener("click", () => say(button.payload, button.title));
      item.appendChild(choice);
    }
    log.appendChild(item);
    scrollDown();
  }

  function showMessages(messages) {
    for (const message of messages) {
      addBubble(message.text, "bot");
      if (message.buttons && message.buttons.length) {
        addChoices(message.buttons);
      }
    }
  }

  function showStatus(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    }
    return response.json();
  }

  // Messages go out one at a time, in order: what is typed while an answer is
  // on its way waits its turn instead of being dropped.
  let queue = Promise.resolve();

  // `shown` is what the young person sees of their own message (a button's
  // title rather than its payload); null shows nothing (the opening hello).
  function say(payload, shown = payload) {
    if (!payload.trim()) return;
    clearChoices();
    if (shown !== null) {
      addBubble(shown, "me");
    }
    queue = queue.then(() => deliver(payload, shown));
  }

  async function deliver(payload, shown) {
    busy = true;
    const typing = addBubble("Maraude écrit…", "bot", "msg--typing");
    try {
      const data = await post("/api/webchat/messages", {
        sender_id: senderId,
        text: payload,
      });
      typing.remove();
      showMessages(data.messages);
      setCursor(data.cursor);
      showStatus("");
    } catch (error) {
      typing.remove();
      showStatus(
        "Oups, ton message n'est pas parti (connexion coupée ?). Réessaie dans un instant."
      );
      if (shown === payload && !input.value) {
        input.value = payload; // give the words back so nothing is lost
      }
    } finally {
      busy = false;
    }
  }

  async function poll() {
    if (!busy) {
      const asked = cursor;
      try {
        const data = await post("/api/webchat/updates", {
          sender_id: senderId,
          after: asked,
        });
        // A message sent meanwhile already showed these answers.
        if (data.messages.length && !busy && cursor === asked) {
          showMessages(data.messages);
          setCursor(data.cursor);
        }
      } catch (error) {
        // Quiet: the next round tries again; sending shows its own error.
      }
    }
    setTimeout(poll, POLL_MS);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";
    say(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  if (cursor === 0) {
    say("/greet", null);
  }
  setTimeout(poll, POLL_MS);
})();
