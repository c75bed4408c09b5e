/* The review canvas: outlines every region on the photo; drag to draw a new region, click a face
   to choose who it is. Unsure faces (they may not be faces) get a dashed outline and the label
   "unsure"; clicking one goes to its "Not a face" button. Coordinates are pixels of the upright photo. Everything it does can also be
   done with the forms under the photo (keyboard and screen readers). Written for safepost (MIT). */
(function () {
  "use strict";
  var COLORS = { mask: "#c0392b", keep: "#1e7b34", manual: "#b35900", dropped: "#6b6b6b" };

  function regionsOf(canvas) {
    var node = document.getElementById(canvas.dataset.regions);
    try { return node ? JSON.parse(node.textContent) : []; } catch (e) { return []; }
  }

  function setup(canvas) {
    var picture = document.getElementById(canvas.dataset.picture);
    var form = document.getElementById(canvas.dataset.form);
    if (!picture || !form) return;
    var regions = regionsOf(canvas);
    var unsureLabel = canvas.dataset.unsureLabel || "unsure";
    var fullW = Number(picture.dataset.width), fullH = Number(picture.dataset.height);
    var drag = null;

    function scale() { return picture.clientWidth / fullW; }

    function draw(extra) {
      canvas.width = picture.clientWidth;
      canvas.height = picture.clientHeight;
      var ctx = canvas.getContext("2d"), s = scale();
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.lineWidth = 3;
      ctx.font = "bold 14px sans-serif";
      regions.forEach(function (r) {
        var b = r.box, kind = r.kind === "manual" ? "manual" : (r.decision === "keep" ? (r.person_id ? "keep" : "dropped") : "mask");
        ctx.strokeStyle = COLORS[kind];
        ctx.fillStyle = kind === "mask" || kind === "manual" ? "rgba(192,57,43,0.25)" : "rgba(0,0,0,0)";
        var unsure = kind === "mask" && r.unsure;
        var label = unsure ? r.id + " " + unsureLabel : r.id;
        ctx.setLineDash(kind === "dropped" ? [6, 4] : (unsure ? [10, 6] : []));
        ctx.fillRect(b[0] * s, b[1] * s, (b[2] - b[0]) * s, (b[3] - b[1]) * s);
        ctx.lineWidth = 6;
        var stroke = ctx.strokeStyle;
        ctx.strokeStyle = "#ffffff";
        ctx.strokeRect(b[0] * s, b[1] * s, (b[2] - b[0]) * s, (b[3] - b[1]) * s);
        ctx.lineWidth = 3;
        ctx.strokeStyle = stroke;
        ctx.strokeRect(b[0] * s, b[1] * s, (b[2] - b[0]) * s, (b[3] - b[1]) * s);
        ctx.fillStyle = "#ffffff";
        ctx.fillRect(b[0] * s, Math.max(0, b[1] * s - 18), ctx.measureText(label).width + 8, 18);
        ctx.fillStyle = COLORS[kind];
        ctx.fillText(label, b[0] * s + 4, Math.max(14, b[1] * s - 4));
      });
      if (extra) {
        ctx.setLineDash([4, 3]);
        ctx.strokeStyle = COLORS.manual;
        ctx.strokeRect(extra[0], extra[1], extra[2] - extra[0], extra[3] - extra[1]);
      }
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return [event.clientX - rect.left, event.clientY - rect.top];
    }

    function hit(p) {
      var s = scale();
      for (var i = regions.length - 1; i >= 0; i--) {
        var b = regions[i].box;
        if (p[0] >= b[0] * s && p[0] <= b[2] * s && p[1] >= b[1] * s && p[1] <= b[3] * s) return regions[i];
      }
      return null;
    }

    canvas.addEventListener("pointerdown", function (event) {
      drag = { start: point(event), end: point(event) };
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drag) return;
      drag.end = point(event);
      draw([Math.min(drag.start[0], drag.end[0]), Math.min(drag.start[1], drag.end[1]),
            Math.max(drag.start[0], drag.end[0]), Math.max(drag.start[1], drag.end[1])]);
    });
    canvas.addEventListener("pointerup", function (event) {
      if (!drag) return;
      var a = drag.start, b = point(event), s = scale();
      drag = null;
      if (Math.abs(b[0] - a[0]) < 6 && Math.abs(b[1] - a[1]) < 6) {
        var region = hit(a);
        draw();
        if (region) {
          var row = document.getElementById(canvas.dataset.picture.replace("picture-", "region-") + "-" + region.id);
          var field = row && ((region.unsure && row.querySelector("button[data-drop]")) ||
            row.querySelector("select") || row.querySelector("button"));
          if (row) row.scrollIntoView({ block: "center" });
          if (field) field.focus();
        }
        return;
      }
      var box = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
      ["x0", "y0", "x1", "y1"].forEach(function (name, i) {
        var limit = i % 2 === 0 ? fullW : fullH;
        form.elements[name].value = Math.max(0, Math.min(limit, Math.round(box[i] / s)));
      });
      draw(box);
      var submit = form.querySelector("button[type=submit]");
      if (submit) submit.focus();
    });

    if (picture.complete && picture.naturalWidth) draw(); else picture.addEventListener("load", function () { draw(); });
    window.addEventListener("resize", function () { draw(); });
  }

  function setupAll() { document.querySelectorAll("canvas.overlay").forEach(setup); }
  document.addEventListener("DOMContentLoaded", setupAll);
  document.addEventListener("hx:swapped", setupAll);
})();
