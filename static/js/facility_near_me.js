/* "Use my location" on the facility search: fill latitude and longitude, then search.
   The form works without this script; the button stays hidden when it cannot work. */
(function () {
  "use strict";

  var controls = document.getElementById("near-me-controls");
  var button = document.getElementById("near-me");
  var status = document.getElementById("near-me-status");
  if (!controls || !button || !button.form || !("geolocation" in navigator)) {
    return;
  }
  var form = button.form;
  controls.hidden = false;

  function failed() {
    button.disabled = false;
    status.textContent = button.getAttribute("data-failed");
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = button.getAttribute("data-locating");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.latitude.value = position.coords.latitude.toFixed(6);
        form.elements.longitude.value = position.coords.longitude.toFixed(6);
        form.submit();
      },
      failed,
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
    );
  });
})();
