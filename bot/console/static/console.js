// Maraude console: live updates and background form posts.
// Everything works without this file (forms post and redirect); it adds
// polling, so that the queue and the transcript update without reloading,
// and the cue for a new danger alert.
"use strict";

(function () {
  const LIVE = { "X-Console-Live": "1" };
  const ALERT_EVERY_MS = 4000;
  const QUEUE_EVERY_MS = 3000;
  const CONVERSATION_EVERY_MS = 1500;
  const SEEN_KEY = "maraude-alerts-seen";
  const SOUND_KEY = "maraude-alert-sound";
  const body = document.body;
  const baseTitle = document.title;
  let sessionLost = false;
  let audio = null;

  function sessionExpired() {
    sessionLost = true;
    const banner = document.getElementById("session-banner");
    if (banner) banner.hidden = false;
  }

  async function getJson(url) {
    if (sessionLost) return null;
    const response = await fetch(url, { headers: LIVE, credentials: "same-origin" });
    if (response.status === 401) { sessionExpired(); return null; }
    if (!response.ok) return null;
    return response.json();
  }

  // Runs task now and every ms; returns a function that runs it once more.
  function every(ms, task) {
    const once = async () => {
      try { await task(); } catch (err) { /* network hiccup: next round retries */ }
    };
    const loop = async () => {
      await once();
      if (!sessionLost) setTimeout(loop, ms);
    };
    loop();
    return once;
  }

  // --- Danger alert cue ------------------------------------------------------

  function seenAlerts() {
    try { return new Set(JSON.parse(localStorage.getItem(SEEN_KEY) || "[]")); }
    catch (err) { return new Set(); }
  }

  function beep() {
    if (localStorage.getItem(SOUND_KEY) !== "1") return;
    try {
      audio = audio || new AudioContext();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.6);
    } catch (err) { /* no audio on this device: the visual cue remains */ }
  }

  function showAlert() {
    const banner = document.getElementById("danger-banner");
    if (banner) banner.hidden = false;
    body.classList.add("alerting");
    document.title = "⚠ Alerte danger · " + baseTitle;
    beep();
  }

  function checkAlerts(keys) {
    const seen = seenAlerts();
    const fresh = keys.filter((key) => !seen.has(key));
    if (fresh.length) showAlert();
    localStorage.setItem(SEEN_KEY, JSON.stringify(keys));
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-dismiss-banner]")) {
      document.getElementById("danger-banner").hidden = true;
      body.classList.remove("alerting");
      document.title = baseTitle;
    }
  });

  const soundToggle = document.querySelector("[data-sound-toggle]");
  if (soundToggle) {
    soundToggle.checked = localStorage.getItem(SOUND_KEY) === "1";
    soundToggle.addEventListener("change", () => {
      localStorage.setItem(SOUND_KEY, soundToggle.checked ? "1" : "0");
      if (soundToggle.checked) beep();  // a click unlocks audio in browsers
    });
  }

  if (body.dataset.alertsUrl) {
    every(ALERT_EVERY_MS, async () => {
      const data = await getJson(body.dataset.alertsUrl);
      if (data) checkAlerts(data.alerts);
    });
  }

  // --- Queue ---------------------------------------------------------------------

  const queue = document.getElementById("queue");
  if (queue) {
    every(QUEUE_EVERY_MS, async () => {
      const data = await getJson(queue.dataset.liveUrl);
      if (data && data.html !== queue.innerHTML) queue.innerHTML = data.html;
    });
  }

  // --- Conversation ------------------------------------------------------------

  const conversation = document.getElementById("conversation");
  let refreshConversation = null;
  if (conversation) {
    const transcript = document.getElementById("transcript");
    const state = document.getElementById("state");
    const notes = document.getElementById("notes");
    const replyForm = document.getElementById("reply-form");
    const closeBox = document.getElementById("close-box");
    const nearBottom = () =>
      transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 80;
    transcript.scrollTop = transcript.scrollHeight;

    refreshConversation = every(CONVERSATION_EVERY_MS, async () => {
      const cursor = conversation.dataset.cursor;
      const data = await getJson(conversation.dataset.liveUrl + "?after=" + cursor);
      if (!data || conversation.dataset.cursor !== cursor) return;
      if (data.messages_html.trim()) {
        const follow = nearBottom();
        transcript.insertAdjacentHTML("beforeend", data.messages_html);
        if (follow) transcript.scrollTop = transcript.scrollHeight;
      }
      conversation.dataset.cursor = data.cursor;
      if (data.state_html !== state.innerHTML) state.innerHTML = data.state_html;
      if (data.notes_html !== notes.innerHTML) notes.innerHTML = data.notes_html;
      for (const field of replyForm.querySelectorAll("textarea, button")) {
        field.disabled = !data.mine;
      }
      replyForm.querySelector("textarea").placeholder = data.mine
        ? "Écris ta réponse au jeune…"
        : "Prends la conversation pour répondre.";
      closeBox.hidden = !data.open;
    });

    replyForm.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && event.target.tagName === "TEXTAREA") {
        event.preventDefault();
        replyForm.requestSubmit();
      }
    });
  }

  // --- Forms posted in the background ------------------------------------------

  function flash(text, ok) {
    let line = document.getElementById("live-flash");
    if (!line) {
      line = document.createElement("p");
      line.id = "live-flash";
      line.setAttribute("role", "status");
      document.querySelector("main").prepend(line);
    }
    line.className = "flash " + (ok ? "flash--ok" : "flash--problem");
    line.textContent = text;
    line.hidden = !text;
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("[data-fetch]") || sessionLost) return;
    event.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Console-Fetch": "1", "X-CSRF-Token": body.dataset.csrf || "" },
      });
      if (response.status === 401) { sessionExpired(); return; }
      const data = await response.json().catch(() => ({}));
      if (data.ok) {
        if (form.matches("[data-reset]")) form.reset();
        flash(data.problem || "", !data.problem);
      } else {
        flash(data.problem || data.error || "Ça n'a pas marché : recharge la page.", false);
      }
    } catch (err) {
      flash("Connexion perdue : réessaie dans un instant.", false);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      if (refreshConversation) refreshConversation();
    }
  });
})();
