// The account page: a user changes their own password (the current one is asked for again).
"use strict";

(() => {
  const {t, api} = Live;
  const $ = (id) => document.getElementById(id);

  $("password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/api/me/password", {old_password: $("old-password").value, new_password: $("new-password").value});
      $("password-form").reset();
      $("password-msg").textContent = t("Your password is changed: use the new one next time you sign in.");
    } catch (error) {
      $("password-msg").textContent = error.message;
    }
  });
})();
