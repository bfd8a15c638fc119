// Makes an offered call noticed when the agent looks elsewhere: a tone, a browser notification (once the
// agent allowed them) and the tab title, until the call is answered or goes away.
"use strict";

const OfferAlert = (() => {
  const {t} = Live;
  const plainTitle = document.title;
  let ringing = null;  // call_id of the call being announced
  let audio = null;

  // Two short tones made on the spot: no sound file to ship or fetch.
  function tone() {
    try {
      audio = audio || new AudioContext();
      for (const [start, pitch] of [[0, 880], [0.25, 660]]) {
        const osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = pitch;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + start);
        osc.stop(audio.currentTime + start + 0.18);
      }
    } catch (error) {
      // No audio device or the browser forbids it: the title and the notification still tell.
    }
  }

  function notify(who) {
    if (!window.Notification || Notification.permission !== "granted" || !document.hidden) return;
    const note = new Notification(t("Incoming call"), {body: who, tag: "callcenter-offer"});
    note.onclick = () => { window.focus(); note.close(); };
  }

  return {
    /** Announce an offered call (``who``: the caller as the pop names them). */
    start(callId, who) {
      ringing = callId;
      document.title = t("Incoming call: %(who)s", {who}) + " · " + plainTitle;
      tone();
      notify(who);
    },
    /** The call was answered, withdrawn or is gone: back to the plain title. */
    stop(callId) {
      if (callId !== undefined && callId !== ringing) return;
      ringing = null;
      document.title = plainTitle;
    },
    /** Ask for notifications; the browser asks the agent only once, on their click. */
    async enable() {
      if (!window.Notification) return "unsupported";
      return Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
    },
    permission() {
      return window.Notification ? Notification.permission : "unsupported";
    },
  };
})();
