/* /places: the map (Leaflet, from this server) and "nearest to me". Without this script the
   list is all there is; with it, the list's places get pins and the browser's location reloads
   the page with ?lat=&lon= so the server ranks the places by distance, as the chat does. */
(function () {
  "use strict";
  var button = document.getElementById("near-me");
  var status = document.getElementById("near-status");
  if (button && "geolocation" in navigator) {
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = button.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var query = new URLSearchParams(button.dataset.keep || "");
        query.set("lat", pos.coords.latitude.toFixed(5));
        query.set("lon", pos.coords.longitude.toFixed(5));
        window.location.assign("/places?" + query.toString());
      }, function () {
        status.textContent = button.dataset.denied;
      }, { timeout: 15000, maximumAge: 600000 });
    });
  }
  var box = document.getElementById("map");
  if (!box || !window.L) { return; }
  var groups = {};
  var order = [];
  document.querySelectorAll("#places li[data-lat]").forEach(function (item) {
    var key = item.dataset.lat + "," + item.dataset.lon;
    if (!groups[key]) { groups[key] = { lat: +item.dataset.lat, lon: +item.dataset.lon, items: [] }; order.push(key); }
    groups[key].items.push(item);
  });
  box.hidden = false;
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", box.dataset.label);
  var map = L.map(box, { scrollWheelZoom: false });
  L.tileLayer(box.dataset.tiles, { maxZoom: 18, attribution: box.dataset.attribution }).addTo(map);
  var bounds = [];
  order.forEach(function (key) {
    var group = groups[key];
    var popup = document.createElement("div");
    group.items.forEach(function (item) {
      var line = document.createElement("p");
      var link = item.querySelector("h3 a");
      var a = document.createElement("a");
      a.href = link ? link.getAttribute("href") : "#";
      a.textContent = item.dataset.name;
      line.appendChild(a);
      if (item.dataset.approx) {
        var note = item.querySelector(".approx");
        if (note) { line.appendChild(document.createTextNode(" (" + note.textContent + ")")); }
      }
      popup.appendChild(line);
    });
    L.marker([group.lat, group.lon], { title: group.items[0].dataset.name, alt: group.items[0].dataset.name })
      .bindPopup(popup).addTo(map);
    bounds.push([group.lat, group.lon]);
  });
  if (box.dataset.lat) {
    // Nearest first: the view holds the reader and the nearest few places, not the province.
    var here = [+box.dataset.lat, +box.dataset.lon];
    L.circleMarker(here, { radius: 7 }).addTo(map);
    bounds = [here].concat(bounds.slice(0, 5));
  }
  if (bounds.length) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 13 }); } else { map.setView([22.33, 104.0], 8); }
}());
