// The 2D page's live view: status, the network's answer over the plane, loss/accuracy curves,
// gradient flow and the network diagram, painted on canvases from one binary frame per tick.
// Streamlit calls the default export again for every new frame with the same parentElement,
// so everything here is idempotent: no listeners are added twice, canvases are reused.
// Every word drawn comes from the frame (`T = frame.text`, see live_frame.py `live_texts`),
// every colour too (`C`, from `frame.palette`: playground/palette.py, the Okabe-Ito colours
// every figure of the playground uses), and every size is multiplied by the frame's scale `S`
// (larger in presenter mode).

const FONT = "system-ui, 'Noto Sans', 'NanumGothic', sans-serif";

let S = 1;  // this frame's drawing scale: fonts, lines, markers and margins
let C = null;  // this frame's colours (see usePalette)
let paletteKey = "";

// "#rrggbb" -> [r, g, b], for colours mixed here (colour tables, translucent edges).
function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// 256-entry colour tables from white towards a colour: level 0 white, level 255 `strength` of it.
function ramp(colour, strength) {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(255 + (colour[c] - 255) * (i / 255) * strength);
  }
  return lut;
}
// Diverging: level 0 -> orange, 127.5 -> white, 255 -> blue. P(class 1) for two classes, and
// a regression's value (its range centred on 0) for the plane (tinted) and the points (full).
function diverging(low, high, strength) {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const p = i / 255, side = p < 0.5 ? low : high, t = Math.min(1, Math.abs(p - 0.5) * 2) * strength;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(255 + (side[c] - 255) * t);
  }
  return lut;
}

// The frame's palette (hex strings; `tint`: how far the plane's colour goes from white where
// the network is sure) with what is mixed from it, rebuilt only when it changes.
function usePalette(palette) {
  const key = JSON.stringify(palette);
  if (key === paletteKey) return;
  const orange = rgb(palette.orange), blue = rgb(palette.blue), classes = palette.classes.map(rgb);
  C = {
    ...palette, orangeRGB: orange, blueRGB: blue, classRGB: classes,
    lut: diverging(orange, blue, palette.tint), pointLut: diverging(orange, blue, 1),
    classLuts: classes.map((colour) => ramp(colour, palette.tint)),  // by the margin over the runner-up
  };
  paletteKey = key;
}

// A frame is: uint32 header length, UTF-8 JSON header, then raw arrays listed in
// header.blobs as name -> [offset after the header, byte length, dtype] (see live_frame.py).
function unpack(bytes) {
  const length = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  const blobs = {};
  for (const [name, [offset, size, dtype]] of Object.entries(header.blobs)) {
    const copy = bytes.slice(4 + length + offset, 4 + length + offset + size); // aligned copy
    blobs[name] = dtype === "f4" ? new Float32Array(copy.buffer) : copy;
  }
  return [header, blobs];
}

// Size a canvas's backing store to its CSS box at the device's pixel ratio; returns a 2D
// context drawing in CSS pixels, and the CSS width and height.
function fit(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(10, canvas.clientWidth), h = Math.max(10, canvas.clientHeight);
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return [ctx, w, h];
}

function fmt(v) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return v.toLocaleString("en-US");
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(1);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

// A text template from the frame with its {placeholders} filled in (as Python's str.format).
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));

// Round tick values for an axis from lo to hi, and a formatter with the decimals they need.
function niceTicks(lo, hi, count) {
  const span = hi - lo || 1, raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= count) || 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  ticks.label = (t) => (decimals > 4 ? t.toExponential(1) : t.toFixed(decimals));
  return ticks;
}

// Text at `size` CSS pixels before scaling; squeezed (never cut) to `max` pixels wide if given.
function text(ctx, s, x, y, { size = 13, color = C.ink, align = "left", base = "alphabetic", weight = "", max } = {}) {
  ctx.font = `${weight} ${size * S}px ${FONT}`;
  ctx.fillStyle = color;
  ctx.textAlign = align;
  ctx.textBaseline = base;
  if (max !== undefined) ctx.fillText(s, x, y, Math.max(1, max));
  else ctx.fillText(s, x, y);
}

// An axis title along the left edge, reading upwards, centred on the plot box's height.
function yTitle(ctx, s, x, top, bottom) {
  ctx.save(); ctx.translate(x, (top + bottom) / 2); ctx.rotate(-Math.PI / 2);
  text(ctx, s, 0, 0, { size: 12, align: "center", color: C.muted, max: bottom - top + 24 * S }); ctx.restore();
}

function chartBox(w, h) {
  return { l: 58 * S, r: w - 12 * S, t: 30 * S, b: h - 38 * S };
}

// A line chart with labelled axes. series: [{y: [...], color, label, dash}], shared xs.
function lineChart(canvas, T, { title, xs, series, xLabel, yLabel, log = false, yFixed = null }) {
  const [ctx, w, h] = fit(canvas);
  const box = chartBox(w, h);
  text(ctx, title, box.l, 18 * S, { size: 15, weight: "600", max: box.r - box.l });
  const titleEnd = box.l + ctx.measureText(title).width + 16 * S;
  // Legend entries right-aligned on the title's row, wrapping to rows below it if they collide.
  ctx.font = `${12 * S}px ${FONT}`;
  const entries = series.filter((s) => s.label).map((s) => ({ s, width: ctx.measureText(s.label).width + 30 * S }));
  const rows = [[]];
  let room = box.r - titleEnd;
  for (const entry of [...entries].reverse()) {
    if (entry.width > room && rows[rows.length - 1].length) { rows.push([]); room = box.r - box.l; }
    rows[rows.length - 1].push(entry);
    room -= entry.width;
  }
  box.t += 16 * S * (rows.length - 1);
  const ys = series.flatMap((s) => s.y).filter((v) => v !== null && isFinite(v) && (!log || v > 0));
  if (!xs || xs.length === 0 || ys.length === 0) {
    text(ctx, T.start, (box.l + box.r) / 2, (box.t + box.b) / 2, { size: 14, color: C.axis, align: "center", max: box.r - box.l });
    return;
  }
  const tf = log ? (v) => Math.log10(v) : (v) => v;
  let [ylo, yhi] = yFixed || [Math.min(...ys), Math.max(...ys)];
  ylo = tf(ylo); yhi = tf(yhi);
  if (yhi - ylo < 1e-9) { ylo -= log ? 0.5 : 0.05; yhi += log ? 0.5 : 0.05; }
  const pad = yFixed ? 0 : (yhi - ylo) * 0.06;
  ylo -= pad; yhi += pad;
  const xlo = xs[0], xhi = xs[xs.length - 1] > xlo ? xs[xs.length - 1] : xlo + 1;
  const X = (x) => box.l + ((x - xlo) / (xhi - xlo)) * (box.r - box.l);
  const Y = (v) => box.b - ((tf(v) - ylo) / (yhi - ylo)) * (box.b - box.t);

  ctx.lineWidth = S;
  const linear = niceTicks(ylo, yhi, 5);
  const yticks = log ? niceTicks(Math.floor(ylo), Math.ceil(yhi), 6).filter((t) => Number.isInteger(t) && t >= ylo && t <= yhi).map((t) => Math.pow(10, t))
                     : linear;
  for (const t of yticks) {
    const y = Y(t);
    ctx.strokeStyle = C.grid; ctx.beginPath(); ctx.moveTo(box.l, y); ctx.lineTo(box.r, y); ctx.stroke();
    text(ctx, log ? `1e${Math.round(Math.log10(t))}` : linear.label(t), box.l - 6 * S, y,
         { size: 12, align: "right", base: "middle", color: C.muted, max: box.l - 26 * S });
  }
  ctx.font = `${12 * S}px ${FONT}`;
  for (const t of niceTicks(xlo, xhi, Math.min(6, Math.max(2, Math.floor((box.r - box.l) / (60 * S)))))) {
    const label = fmt(t), half = ctx.measureText(label).width / 2;
    if (X(t) + half <= w) text(ctx, label, X(t), box.b + 15 * S, { size: 12, align: "center", color: C.muted });
    else text(ctx, label, w, box.b + 15 * S, { size: 12, align: "right", color: C.muted });  // the last one: kept whole
  }
  ctx.strokeStyle = C.axis;
  ctx.beginPath(); ctx.moveTo(box.l, box.t); ctx.lineTo(box.l, box.b); ctx.lineTo(box.r, box.b); ctx.stroke();
  text(ctx, xLabel, (box.l + box.r) / 2, h - 6 * S, { size: 12, align: "center", color: C.muted, max: box.r - box.l });
  yTitle(ctx, yLabel, 13 * S, box.t, box.b);

  ctx.save();
  ctx.beginPath(); ctx.rect(box.l, box.t - 2 * S, box.r - box.l, box.b - box.t + 4 * S); ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.lineWidth = (s.width || 2.5) * S; ctx.setLineDash((s.dash || []).map((d) => d * S));
    ctx.beginPath();
    const ok = (v) => v !== null && isFinite(v) && (!log || v > 0);
    s.y.forEach((v, i) => {
      if (!ok(v)) return;
      const x = X(xs[i]), y = Y(v);
      ok(s.y[i - 1]) ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      if (!ok(s.y[i - 1]) && !ok(s.y[i + 1])) ctx.arc(x, y, 1.5 * S, 0, 2 * Math.PI);  // a lone point: a dot
    });
    ctx.stroke();
  }
  ctx.restore();
  ctx.setLineDash([]);
  rows.forEach((row, r) => {
    let lx = box.r;
    for (const { s, width } of row) {
      lx -= width;
      const y = (14 + 16 * r) * S;
      ctx.strokeStyle = s.color; ctx.lineWidth = 3 * S; ctx.setLineDash((s.dash || []).map((d) => d * S));
      ctx.beginPath(); ctx.moveTo(lx, y); ctx.lineTo(lx + 20 * S, y); ctx.stroke(); ctx.setLineDash([]);
      text(ctx, s.label, lx + 24 * S, y + 4 * S, { size: 12 });
    }
  });
}

function barChart(canvas, T, { title, values, labels, yLabel }) {
  const [ctx, w, h] = fit(canvas);
  const box = chartBox(w, h);
  text(ctx, title, box.l, 18 * S, { size: 15, weight: "600", max: box.r - box.l });
  const good = values.filter((v) => v > 0 && isFinite(v));
  if (good.length === 0) {
    text(ctx, T.no_gradients, (box.l + box.r) / 2, (box.t + box.b) / 2, { size: 14, color: C.axis, align: "center", max: box.r - box.l });
    return;
  }
  let lo = Math.floor(Math.log10(Math.min(...good))), hi = Math.ceil(Math.log10(Math.max(...good)));
  if (hi - lo < 2) lo = hi - 2;
  const Y = (v) => box.b - ((Math.log10(v) - lo) / (hi - lo)) * (box.b - box.t);
  for (let e = lo; e <= hi; e++) {
    const y = Y(Math.pow(10, e));
    ctx.strokeStyle = C.grid; ctx.lineWidth = S; ctx.beginPath(); ctx.moveTo(box.l, y); ctx.lineTo(box.r, y); ctx.stroke();
    text(ctx, `1e${e}`, box.l - 6 * S, y, { size: 12, align: "right", base: "middle", color: C.muted });
  }
  const slot = (box.r - box.l) / values.length;
  ctx.font = `${12 * S}px ${FONT}`;
  const fits = labels.every((label) => ctx.measureText(label).width < slot * 0.95);
  values.forEach((v, i) => {
    const x = box.l + slot * i + slot * 0.15, bw = slot * 0.7;
    if (v > 0 && isFinite(v)) {
      ctx.fillStyle = C.series[i % C.series.length];
      const y = Y(v);
      ctx.fillRect(x, y, bw, box.b - y);
    }
    text(ctx, fits ? labels[i] : String(i + 1), x + bw / 2, box.b + 15 * S, { size: 12, align: "center", color: C.muted });
  });
  ctx.strokeStyle = C.axis; ctx.lineWidth = S;
  ctx.beginPath(); ctx.moveTo(box.l, box.t); ctx.lineTo(box.l, box.b); ctx.lineTo(box.r, box.b); ctx.stroke();
  text(ctx, fits ? T.layer_axis : fill(T.layer_axis_numbered, { count: values.length }), (box.l + box.r) / 2, h - 6 * S,
       { size: 12, align: "center", color: C.muted, max: box.r - box.l });
  yTitle(ctx, yLabel, 13 * S, box.t, box.b);
}

// A grid of 8-bit levels -> an offscreen image through a colour table, scaled onto the plot
// box (smoothed). Canvases are pooled by slot, so a frame allocates nothing new.
const POOL = new Map();
function pooledImage(res, slot) {
  let pooled = POOL.get(slot);
  if (!pooled || pooled.res !== res) {
    const canvas = new OffscreenCanvas(res, res);
    pooled = { res, canvas, ctx: canvas.getContext("2d"), image: new ImageData(res, res) };
    POOL.set(slot, pooled);
  }
  return pooled;
}

function gridImage(levels, res, slot = "boundary", lut = C.lut) {
  const pooled = pooledImage(res, slot), data = pooled.image.data;
  for (let row = 0; row < res; row++) {
    for (let col = 0; col < res; col++) {
      const v = levels[row * res + col] * 3, o = ((res - 1 - row) * res + col) * 4; // row 0 is the lowest x2
      data[o] = lut[v]; data[o + 1] = lut[v + 1]; data[o + 2] = lut[v + 2]; data[o + 3] = 255;
    }
  }
  pooled.ctx.putImageData(pooled.image, 0, 0);
  return pooled.canvas;
}

// More than two classes: each cell in its most likely class's colour, paler the smaller that
// class's lead over the runner-up. With `only` set, the other classes' cells stay white.
function classImage(classes, margins, res, slot = "boundary", only = -1) {
  const pooled = pooledImage(res, slot), data = pooled.image.data;
  for (let row = 0; row < res; row++) {
    for (let col = 0; col < res; col++) {
      const i = row * res + col, c = classes[i], o = ((res - 1 - row) * res + col) * 4;
      const v = only < 0 || c === only ? margins[i] * 3 : 0, lut = C.classLuts[c % C.classLuts.length];
      data[o] = lut[v]; data[o + 1] = lut[v + 1]; data[o + 2] = lut[v + 2]; data[o + 3] = 255;
    }
  }
  pooled.ctx.putImageData(pooled.image, 0, 0);
  return pooled.canvas;
}

// Where `field` crosses `level`, by marching squares, as line segments in grid coordinates.
function contour(field, res, level) {
  const segs = [];
  const at = (r, c) => field[r * res + c];
  const lerp = (a, b) => (level - a) / (b - a);
  for (let r = 0; r < res - 1; r++) {
    for (let c = 0; c < res - 1; c++) {
      const a = at(r, c), b = at(r, c + 1), d = at(r + 1, c), e = at(r + 1, c + 1);
      const pts = [];
      if ((a < level) !== (b < level)) pts.push([c + lerp(a, b), r]);
      if ((b < level) !== (e < level)) pts.push([c + 1, r + lerp(b, e)]);
      if ((d < level) !== (e < level)) pts.push([c + lerp(d, e), r + 1]);
      if ((a < level) !== (d < level)) pts.push([c, r + lerp(a, d)]);
      if (pts.length >= 2) segs.push(pts[0], pts[1]);
      if (pts.length === 4) segs.push(pts[2], pts[3]);
    }
  }
  return segs;
}

// The boundaries of a multiclass answer: for each class c, the lead of c over the best other
// class (+margin where c wins, -margin elsewhere) changes sign on c's border. The last class's
// borders are all borders of another class too.
const SIGNED = { field: new Float32Array(0) };
function classBorders(classes, margins, res, count) {
  if (SIGNED.field.length !== res * res) SIGNED.field = new Float32Array(res * res);
  const field = SIGNED.field, segs = [];
  for (let c = 0; c < count - 1; c++) {
    for (let i = 0; i < field.length; i++) field[i] = classes[i] === c ? margins[i] + 0.5 : -margins[i] - 0.5;
    for (const p of contour(field, res, 0)) segs.push(p);
  }
  return segs;
}

// The colour of a regression target or prediction `v` on the frame's value range.
function valueLevel(v, [lo, hi]) {
  return Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo)) * 255)));
}

function drawBoundary(canvas, frame, blobs, image) {
  const [ctx, w, h] = fit(canvas);
  const T = frame.text, b = frame.boundary, res = b.res, task = frame.task;
  const legend = task === "regression" ? 78 * S : 0;  // room for the colour bar
  const size = Math.max(20, Math.min(w - 62 * S - legend, h - 46 * S)), box = { l: 54 * S, t: 10 * S, s: size };
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(image, box.l, box.t, size, size);
  const [[x1lo, x1hi], [x2lo, x2hi]] = b.bounds;
  const X = (x) => box.l + ((x - x1lo) / (x1hi - x1lo)) * size;
  const Y = (y) => box.t + size - ((y - x2lo) / (x2hi - x2lo)) * size;

  // Decision boundary: probability 0.5 for two classes, the borders between classes for more.
  const segs = task === "binary" ? contour(blobs.prob, res, 127.5)
             : task === "multiclass" ? classBorders(blobs.cls, blobs.margin, res, b.classes) : [];
  const cell = size / (res - 1);
  ctx.strokeStyle = C.dark; ctx.lineWidth = 2.5 * S; ctx.beginPath();
  for (let i = 0; i < segs.length; i += 2) {
    ctx.moveTo(box.l + segs[i][0] * cell, box.t + size - segs[i][1] * cell);
    ctx.lineTo(box.l + segs[i + 1][0] * cell, box.t + size - segs[i + 1][1] * cell);
  }
  ctx.stroke();

  const colour = task === "regression"
    ? (targets, i) => { const v = valueLevel(targets[i], b.range) * 3; return [C.pointLut[v], C.pointLut[v + 1], C.pointLut[v + 2]]; }
    : (targets, i) => C.classRGB[targets[i] % C.classRGB.length];
  // Regression targets run through white (a target of 0), so their points are always filled
  // and rimmed in grey: light for training points, dark for test points.
  const regression = task === "regression";
  const drawPoints = (xy, targets, test) => {
    for (let i = 0; i < targets.length; i++) {
      const x = X(xy[2 * i]), y = Y(xy[2 * i + 1]), c = colour(targets, i);
      ctx.beginPath(); ctx.arc(x, y, (test ? 5 : 4.5) * S, 0, 2 * Math.PI);
      if (regression) {
        ctx.fillStyle = `rgb(${c})`; ctx.fill();
        ctx.lineWidth = (test ? 1.3 : 0.9) * S; ctx.strokeStyle = test ? C.node : C.light_rim; ctx.stroke();
      } else if (test) {
        ctx.fillStyle = "white"; ctx.fill();
        ctx.lineWidth = 2.5 * S; ctx.strokeStyle = `rgb(${c})`; ctx.stroke();
      } else {
        ctx.fillStyle = `rgb(${c})`; ctx.fill();
        ctx.lineWidth = 1.2 * S; ctx.strokeStyle = "white"; ctx.stroke();
      }
    }
  };
  drawPoints(blobs.train_x, blobs.train_y, false);
  if (frame.show_test) drawPoints(blobs.test_x, blobs.test_y, true);

  ctx.strokeStyle = C.axis; ctx.lineWidth = S; ctx.strokeRect(box.l, box.t, size, size);
  const count = Math.min(5, Math.max(3, Math.floor(size / (60 * S))));  // fewer labels on a small or enlarged plane
  const t1 = niceTicks(x1lo, x1hi, count), t2 = niceTicks(x2lo, x2hi, count);
  for (const t of t1) text(ctx, t1.label(t), X(t), box.t + size + 15 * S, { size: 12, align: "center", color: C.muted });
  for (const t of t2) text(ctx, t2.label(t), box.l - 6 * S, Y(t), { size: 12, align: "right", base: "middle", color: C.muted, max: box.l - 20 * S });
  text(ctx, T.x1, box.l + size / 2, box.t + size + 33 * S, { size: 13, align: "center", max: size });
  ctx.save(); ctx.translate(12 * S, box.t + size / 2); ctx.rotate(-Math.PI / 2);
  text(ctx, T.x2, 0, 0, { size: 13, align: "center", max: size }); ctx.restore();
  if (task === "regression") colourBar(ctx, T, b.range, box.l + size + 14 * S, box.t, size);
}

// The regression's colour scale: a vertical bar beside the plane, values on its right.
function colourBar(ctx, T, range, x, top, height) {
  const [lo, hi] = range, width = 14 * S;
  for (let i = 0; i < 64; i++) {  // 64 bands, top (high values) to bottom
    const v = Math.round(255 - (i * 255) / 63) * 3;
    ctx.fillStyle = `rgb(${C.lut[v]},${C.lut[v + 1]},${C.lut[v + 2]})`;
    ctx.fillRect(x, top + (i * height) / 64, width, height / 64 + 1);
  }
  ctx.strokeStyle = C.axis; ctx.lineWidth = S; ctx.strokeRect(x, top, width, height);
  const ticks = niceTicks(lo, hi, 5);
  for (const t of ticks) {
    const y = top + height - ((t - lo) / (hi - lo)) * height;
    ctx.beginPath(); ctx.moveTo(x + width, y); ctx.lineTo(x + width + 4 * S, y); ctx.stroke();
    text(ctx, ticks.label(t), x + width + 6 * S, y, { size: 12, base: "middle", color: C.muted, max: 34 * S });
  }
  ctx.save(); ctx.translate(x + width + 52 * S, top + height / 2); ctx.rotate(-Math.PI / 2);
  text(ctx, T.predicted_value, 0, 0, { size: 12, align: "center", base: "middle", color: C.muted, max: height }); ctx.restore();
}

// Layers of neurons; hidden neurons show a thumbnail of what they respond to over the plane,
// output neurons the network's answer; edges are blue for positive and orange for negative
// weights, thicker when larger.
function drawNetwork(canvas, frame, blobs, outputImages) {
  const [ctx, w, h] = fit(canvas);
  const T = frame.text, net = frame.network;
  const thumbs = blobs.thumbs.length ? blobs.thumbs : null, tr = net.thumb_res;
  const sizes = net.shown, layers = sizes.length, classes = frame.task === "multiclass";
  const node = (thumbs ? 34 : 18) * S, radius = 15 * S;
  // Output neurons of several classes are named on their right: keep room for the longest name.
  ctx.font = `${12 * S}px ${FONT}`;
  const names = classes ? Array.from({ length: sizes[layers - 1] }, (_, i) => fill(T.class_name, { number: i })) : [];
  const right = Math.max(70 * S, ...names.map((name) => node / 2 + 10 * S + ctx.measureText(name).width));
  const colX = (i) => 70 * S + (i * (w - 70 * S - right)) / Math.max(1, layers - 1);
  const rowY = (i, n) => 26 * S + ((i + 0.5) * (h - 52 * S)) / n;
  const maxW = Math.max(1e-6, ...net.weights.flat().map(Math.abs));
  for (let l = 0; l < layers - 1; l++) {
    const m = net.weights[l], nIn = sizes[l], nOut = sizes[l + 1];
    for (let o = 0; o < nOut; o++) {
      for (let i = 0; i < nIn; i++) {
        const v = m[o * nIn + i], c = v >= 0 ? C.blueRGB : C.orangeRGB;
        ctx.strokeStyle = `rgba(${c},${0.25 + 0.75 * Math.min(1, Math.abs(v) / maxW)})`;
        ctx.lineWidth = (0.5 + 5 * Math.min(1, Math.abs(v) / maxW)) * S;
        ctx.beginPath(); ctx.moveTo(colX(l), rowY(i, nIn)); ctx.lineTo(colX(l + 1), rowY(o, nOut)); ctx.stroke();
      }
    }
  }
  // Input names inside their circles when they all fit (x1, x2), else to their left (sin x1).
  const inputs = net.inputs.map((name) => T[`feature_${name}`] || name);
  ctx.font = `600 ${13 * S}px ${FONT}`;
  const inside = inputs.every((name) => ctx.measureText(name).width <= 2 * radius - 4 * S);
  let k = 0;
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < sizes[l]; i++) {
      const x = colX(l), y = rowY(i, sizes[l]);
      if (l === 0) {
        ctx.fillStyle = C.node; ctx.beginPath(); ctx.arc(x, y, radius, 0, 2 * Math.PI); ctx.fill();
        if (inside) text(ctx, inputs[i], x, y, { size: 13, color: "white", align: "center", base: "middle", weight: "600" });
        else text(ctx, inputs[i], x - radius - 4 * S, y, { size: 13, align: "right", base: "middle", weight: "600", max: x - radius - 6 * S });
        continue;
      }
      const last = l === layers - 1;
      let border = C.node;
      if (last) {
        ctx.drawImage(outputImages[i], x - node / 2, y - node / 2, node, node);
        if (classes) border = `rgb(${C.classRGB[i % C.classRGB.length]})`;
      } else if (thumbs) {
        ctx.drawImage(gridImage(thumbs.subarray(k * tr * tr, (k + 1) * tr * tr), tr, "thumb"), x - node / 2, y - node / 2, node, node);
        k++;
      } else {
        ctx.fillStyle = C.empty; ctx.fillRect(x - node / 2, y - node / 2, node, node);
      }
      ctx.strokeStyle = border; ctx.lineWidth = (last && classes ? 3 : 1.5) * S;
      ctx.strokeRect(x - node / 2, y - node / 2, node, node);
      if (last && classes) text(ctx, names[i], x + node / 2 + 6 * S, y, { size: 12, base: "middle", color: C.muted, max: w - x - node / 2 - 8 * S });
    }
    const count = net.hidden[l - 1];
    const label = l === 0 ? T.input : l === layers - 1 ? T.output
      : count > sizes[l] ? fill(T.hidden_cut, { layer: l, shown: sizes[l], count }) : fill(T.hidden, { layer: l, count });
    const room = layers > 1 ? (w - 70 * S - right) / (layers - 1) : w;
    text(ctx, label, colX(l), h - 6 * S, { size: 12, align: "center", color: C.muted, max: Math.min(room * 0.96, 2 * colX(l), 2 * (w - colX(l))) });
  }
}

function statusHTML(s, T, task) {
  const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
  const cells = [[T.step, s.step.toLocaleString("en-US")], [T.epoch, s.epoch.toFixed(1)],
                 [T.train_loss, fmt(s.train_loss)], [T.test_loss, fmt(s.test_loss)]];
  if (task !== "regression") cells.push([T.train_acc, pct(s.train_acc)], [T.test_acc, pct(s.test_acc)]);
  return cells.map(([k, v]) => `<div class="cell"><div class="k">${k}</div><div class="v">${v}</div></div>`).join("");
}

// Labels for screen readers, in the frame's language (set only when they change).
function label(element, value) {
  if (element.getAttribute("aria-label") !== value) element.setAttribute("aria-label", value);
}

export default function ({ data: payload, parentElement }) {
  if (!(payload instanceof Uint8Array) || payload.length < 4) return;
  const started = performance.now();
  const [data, blobs] = unpack(payload);
  const q = (sel) => parentElement.querySelector(sel);
  const T = data.text, task = data.task, regression = task === "regression";
  S = data.scale || 1;
  usePalette(data.palette);
  const root = q(".live");
  if (root.style.getPropertyValue("--scale") !== String(S)) root.style.setProperty("--scale", String(S));
  root.classList.toggle("regression", regression);
  q(".status").innerHTML = statusHTML(data.status, T, task);
  q(".status").classList.toggle("diverged", data.status.diverged);

  const b = data.boundary;
  let answer, outputs;  // the plane's picture, and one per output neuron for the diagram
  if (task === "multiclass") {
    answer = classImage(blobs.cls, blobs.margin, b.res);
    outputs = Array.from({ length: b.classes }, (_, c) => classImage(blobs.cls, blobs.margin, b.res, `class${c}`, c));
  } else {
    answer = gridImage(regression ? blobs.value : blobs.prob, b.res);
    outputs = [answer];
  }
  label(q("canvas.boundary"), regression ? T.aria_surface : T.aria_boundary);
  drawBoundary(q("canvas.boundary"), data, blobs, answer);

  const c = data.curves;
  const lossAxis = regression ? (c.log ? T.squared_error_axis_log : T.squared_error_axis) : (c.log ? T.loss_axis_log : T.loss_axis);
  label(q("canvas.loss"), T.aria_loss);
  lineChart(q("canvas.loss"), T, {
    title: T.loss, xs: c.x, xLabel: T.steps_axis, yLabel: lossAxis, log: c.log,
    series: [{ y: c.train_loss, color: C.train, label: T.train }, { y: c.test_loss, color: C.test, label: T.test, dash: [7, 4] }],
  });
  if (!regression) {  // a regression has no accuracy: its canvas is hidden (live_view.css)
    label(q("canvas.accuracy"), T.aria_accuracy);
    lineChart(q("canvas.accuracy"), T, {
      title: T.accuracy, xs: c.x, xLabel: T.steps_axis, yLabel: T.accuracy_axis, yFixed: [0, 1],
      series: [{ y: c.train_acc, color: C.train, label: T.train }, { y: c.test_acc, color: C.test, label: T.test, dash: [7, 4] }],
    });
  }
  const g = data.grads;
  label(q("canvas.gradtime"), T.aria_gradient_flow);
  lineChart(q("canvas.gradtime"), T, {
    title: T.gradient_flow, xs: g.x, xLabel: T.steps_axis, yLabel: T.gradient_axis, log: true,
    series: g.layers.map((ys, i) => ({ y: ys, color: C.series[i % C.series.length], label: g.names[i], width: 2 })),
  });
  label(q("canvas.gradbars"), T.aria_gradient_now);
  barChart(q("canvas.gradbars"), T, { title: T.gradient_now, values: g.now, labels: g.names, yLabel: T.gradient_axis });
  label(q("canvas.network"), T.aria_network);
  drawNetwork(q("canvas.network"), data, blobs, outputs);
  // Counters read by bench/ui_fps.py and the browser tests: frames painted, the step shown.
  window.__playgroundStep = data.status.step;
  window.__playgroundTask = task;
  window.__playgroundDrawMs = (window.__playgroundDrawMs || 0) + performance.now() - started;
  requestAnimationFrame(() => { window.__playgroundFrames = (window.__playgroundFrames || 0) + 1; });
}
