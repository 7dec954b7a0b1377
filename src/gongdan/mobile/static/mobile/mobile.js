/* Engineer pages: position on depart/arrive, QR scanning where the browser can, offline shell. */
(function () {
  "use strict";
  // Forms marked data-geo read the position first; without one they still go through.
  document.querySelectorAll("form[data-geo]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.located || !navigator.geolocation) return;
      event.preventDefault();
      var button = form.querySelector("button");
      if (button) { button.disabled = true; button.textContent = form.dataset.geo; }
      var send = function () { form.dataset.located = "1"; form.submit(); };
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.lat.value = pos.coords.latitude;
        form.lng.value = pos.coords.longitude;
        form.accuracy.value = pos.coords.accuracy;
        send();
      }, send, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  });
  // Proof of presence: scan the machine's label with the camera (BarcodeDetector).
  var scan = document.getElementById("scan");
  if (scan && "BarcodeDetector" in window && navigator.mediaDevices) {
    scan.hidden = false;
    scan.addEventListener("click", function () {
      var form = scan.form, video = document.createElement("video");
      video.setAttribute("playsinline", "");
      scan.after(video);
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream; video.play();
        var look = function () {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stream.getTracks().forEach(function (t) { t.stop(); });
              form.code.value = codes[0].rawValue; form.method.value = "scan"; form.submit();
            } else { requestAnimationFrame(look); }
          }, function () { requestAnimationFrame(look); });
        };
        look();
      }, function () { video.remove(); });
    });
  }
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var b = form.querySelector("button"); setTimeout(function () { if (b) b.disabled = true; }, 0);
    });
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(function () {});
  }
})();
