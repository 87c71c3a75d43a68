// Progressive enhancement of the aid simulator: show only the profile fields that matter for the chosen
// profession and career stage as soon as they change (without JavaScript, the server renders the same choice
// once the form is submitted). The mapping comes from aids.services.profile.relevant_fields (json_script).
(function () {
  "use strict";
  var data = document.getElementById("simulator-fields");
  var form = document.getElementById("simulateur-form");
  if (!data || !form) return;
  var mapping = JSON.parse(data.textContent);
  var profession = form.querySelector("[name=profession]");
  var stage = form.querySelector("[name=etape]");
  function update() {
    var byStage = mapping[profession.value] || {};
    var shown = byStage[stage.value] || [];
    form.querySelectorAll("[data-profile-field]").forEach(function (el) {
      el.hidden = shown.indexOf(el.getAttribute("data-profile-field")) === -1;
      // A hidden field is not sent: the query string keeps only what matters.
      el.querySelectorAll("input, select").forEach(function (control) { control.disabled = el.hidden; });
    });
  }
  profession.addEventListener("change", update);
  stage.addEventListener("change", update);
  update();
})();
