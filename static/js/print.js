// The handout's Print button.
document.querySelectorAll(".bs-print").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
