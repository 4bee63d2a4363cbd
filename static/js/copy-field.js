// Copy buttons: <button data-copy="#field" data-copy-status="#status">. Without
// JavaScript the read-only field can still be selected and copied by hand.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  const status = document.querySelector(button.dataset.copyStatus);
  if (!field) return;
  field.focus();
  field.select();
  let copied = false;
  try {
    await navigator.clipboard.writeText(field.value);
    copied = true;
  } catch (_error) {
    // No clipboard permission (plain http, old browser): the field stays selected for Ctrl+C.
    try { copied = document.execCommand("copy"); } catch (_ignored) { copied = false; }
  }
  if (status) status.textContent = copied ? button.dataset.copied : button.dataset.copyFailed;
});
