// The 2D page's live view: status, decision boundary, loss/accuracy curves, gradient flow
// and the network diagram, painted on canvases from one JSON frame per tick.
// Streamlit calls the default export again for every new frame with the same parentElement,
// so everything here is idempotent: no listeners are added twice, canvases are reused.

const ORANGE = [230, 159, 0];   // class 0 (Okabe-Ito orange: safe for colour-blind viewers)
const BLUE = [0, 114, 178];     // class 1 (Okabe-Ito blue)
const INK = "#1f2430";
const GRID = "#d9dce3";
const SERIES = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
const FONT = "system-ui, 'Noto Sans', 'NanumGothic', sans-serif";

// 256-entry colour table: probability 0 -> tinted orange, 0.5 -> white, 1 -> tinted blue.
const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const p = i / 255, side = p < 0.5 ? ORANGE : BLUE, t = Math.min(1, Math.abs(p - 0.5) * 2) * 0.55;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(255 + (side[c] - 255) * t);
  }
  return lut;
})();

// A frame is: uint32 header length, UTF-8 JSON header, then raw arrays listed in
// header.blobs as name -> [offset after the header, byte length, dtype] (see frames.py).
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
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(1).replace("e", "e");
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

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

function text(ctx, s, x, y, { size = 13, color = INK, align = "left", base = "alphabetic", weight = "" } = {}) {
  ctx.font = `${weight} ${size}px ${FONT}`;
  ctx.fillStyle = color;
  ctx.textAlign = align;
  ctx.textBaseline = base;
  ctx.fillText(s, x, y);
}

// A line chart with labelled axes. series: [{y: [...], color, label, dash}], shared xs.
function lineChart(canvas, { title, xs, series, xLabel, yLabel, log = false, yFixed = null }) {
  const [ctx, w, h] = fit(canvas);
  const box = { l: 58, r: w - 12, t: 30, b: h - 38 };
  text(ctx, title, box.l, 18, { size: 15, weight: "600" });
  const titleEnd = box.l + ctx.measureText(title).width + 16;
  // Legend entries right-aligned on the title's row, wrapping to rows below it if they collide.
  ctx.font = `12px ${FONT}`;
  const entries = series.filter((s) => s.label).map((s) => ({ s, width: ctx.measureText(s.label).width + 30 }));
  const rows = [[]];
  let room = box.r - titleEnd;
  for (const entry of [...entries].reverse()) {
    if (entry.width > room && rows[rows.length - 1].length) { rows.push([]); room = box.r - box.l; }
    rows[rows.length - 1].push(entry);
    room -= entry.width;
  }
  box.t += 16 * (rows.length - 1);
  const ys = series.flatMap((s) => s.y).filter((v) => v !== null && isFinite(v) && (!log || v > 0));
  if (!xs || xs.length === 0 || ys.length === 0) {
    text(ctx, "Press Play or Step to start training", (box.l + box.r) / 2, (box.t + box.b) / 2,
         { size: 14, color: "#6b7280", align: "center" });
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

  ctx.lineWidth = 1;
  const linear = niceTicks(ylo, yhi, 5);
  const yticks = log ? niceTicks(Math.floor(ylo), Math.ceil(yhi), 6).filter((t) => Number.isInteger(t) && t >= ylo && t <= yhi).map((t) => Math.pow(10, t))
                     : linear;
  for (const t of yticks) {
    const y = Y(t);
    ctx.strokeStyle = GRID; ctx.beginPath(); ctx.moveTo(box.l, y); ctx.lineTo(box.r, y); ctx.stroke();
    text(ctx, log ? `1e${Math.round(Math.log10(t))}` : linear.label(t), box.l - 6, y, { size: 12, align: "right", base: "middle", color: "#4b5563" });
  }
  for (const t of niceTicks(xlo, xhi, 6)) {
    const x = X(t);
    text(ctx, fmt(t), x, box.b + 15, { size: 12, align: "center", color: "#4b5563" });
  }
  ctx.strokeStyle = "#6b7280";
  ctx.beginPath(); ctx.moveTo(box.l, box.t); ctx.lineTo(box.l, box.b); ctx.lineTo(box.r, box.b); ctx.stroke();
  text(ctx, xLabel, (box.l + box.r) / 2, h - 6, { size: 12, align: "center", color: "#4b5563" });
  ctx.save(); ctx.translate(13, (box.t + box.b) / 2); ctx.rotate(-Math.PI / 2);
  text(ctx, yLabel, 0, 0, { size: 12, align: "center", color: "#4b5563" }); ctx.restore();

  ctx.save();
  ctx.beginPath(); ctx.rect(box.l, box.t - 2, box.r - box.l, box.b - box.t + 4); ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.lineWidth = s.width || 2.5; ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    const ok = (v) => v !== null && isFinite(v) && (!log || v > 0);
    s.y.forEach((v, i) => {
      if (!ok(v)) return;
      const x = X(xs[i]), y = Y(v);
      ok(s.y[i - 1]) ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      if (!ok(s.y[i - 1]) && !ok(s.y[i + 1])) ctx.arc(x, y, 1.5, 0, 2 * Math.PI);  // a lone point: a dot
    });
    ctx.stroke();
  }
  ctx.restore();
  ctx.setLineDash([]);
  rows.forEach((row, r) => {
    let lx = box.r;
    for (const { s, width } of row) {
      lx -= width;
      const y = 14 + 16 * r;
      ctx.strokeStyle = s.color; ctx.lineWidth = 3; ctx.setLineDash(s.dash || []);
      ctx.beginPath(); ctx.moveTo(lx, y); ctx.lineTo(lx + 20, y); ctx.stroke(); ctx.setLineDash([]);
      text(ctx, s.label, lx + 24, y + 4, { size: 12 });
    }
  });
}

function barChart(canvas, { title, values, labels, yLabel }) {
  const [ctx, w, h] = fit(canvas);
  const box = { l: 58, r: w - 12, t: 30, b: h - 38 };
  text(ctx, title, box.l, 18, { size: 15, weight: "600" });
  const good = values.filter((v) => v > 0 && isFinite(v));
  if (good.length === 0) {
    text(ctx, "No gradients yet", (box.l + box.r) / 2, (box.t + box.b) / 2, { size: 14, color: "#6b7280", align: "center" });
    return;
  }
  let lo = Math.floor(Math.log10(Math.min(...good))), hi = Math.ceil(Math.log10(Math.max(...good)));
  if (hi - lo < 2) lo = hi - 2;
  const Y = (v) => box.b - ((Math.log10(v) - lo) / (hi - lo)) * (box.b - box.t);
  for (let e = lo; e <= hi; e++) {
    const y = Y(Math.pow(10, e));
    ctx.strokeStyle = GRID; ctx.lineWidth = 1; ctx.beginPath(); ctx.moveTo(box.l, y); ctx.lineTo(box.r, y); ctx.stroke();
    text(ctx, `1e${e}`, box.l - 6, y, { size: 12, align: "right", base: "middle", color: "#4b5563" });
  }
  const slot = (box.r - box.l) / values.length;
  ctx.font = `12px ${FONT}`;
  const fits = labels.every((label) => ctx.measureText(label).width < slot * 0.95);
  values.forEach((v, i) => {
    const x = box.l + slot * i + slot * 0.15, bw = slot * 0.7;
    if (v > 0 && isFinite(v)) {
      ctx.fillStyle = SERIES[i % SERIES.length];
      const y = Y(v);
      ctx.fillRect(x, y, bw, box.b - y);
    }
    text(ctx, fits ? labels[i] : String(i + 1), x + bw / 2, box.b + 15, { size: 12, align: "center", color: "#4b5563" });
  });
  ctx.strokeStyle = "#6b7280"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(box.l, box.t); ctx.lineTo(box.l, box.b); ctx.lineTo(box.r, box.b); ctx.stroke();
  text(ctx, fits ? "layer (input → output)" : `layer 1 (input) … ${values.length} (output)`, (box.l + box.r) / 2, h - 6, { size: 12, align: "center", color: "#4b5563" });
  ctx.save(); ctx.translate(13, (box.t + box.b) / 2); ctx.rotate(-Math.PI / 2);
  text(ctx, yLabel, 0, 0, { size: 12, align: "center", color: "#4b5563" }); ctx.restore();
}

// Probability grid -> an offscreen image, scaled onto the plot box (smoothed). Canvases
// are pooled by slot, so a frame allocates nothing new.
const POOL = new Map();
function gridImage(probs, res, slot = "boundary") {
  let pooled = POOL.get(slot);
  if (!pooled || pooled.res !== res) {
    const canvas = new OffscreenCanvas(res, res);
    pooled = { res, canvas, ctx: canvas.getContext("2d"), image: new ImageData(res, res) };
    POOL.set(slot, pooled);
  }
  const image = pooled.image;
  for (let row = 0; row < res; row++) {
    for (let col = 0; col < res; col++) {
      const v = probs[row * res + col], o = ((res - 1 - row) * res + col) * 4; // row 0 is the lowest x2
      image.data[o] = LUT[v * 3]; image.data[o + 1] = LUT[v * 3 + 1]; image.data[o + 2] = LUT[v * 3 + 2]; image.data[o + 3] = 255;
    }
  }
  pooled.ctx.putImageData(image, 0, 0);
  return pooled.canvas;
}

// The 0.5 contour by marching squares, as line segments in grid coordinates.
function contour(probs, res, level) {
  const segs = [];
  const at = (r, c) => probs[r * res + c];
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

function drawBoundary(canvas, frame, blobs, image) {
  const [ctx, w, h] = fit(canvas);
  const b = frame.boundary, res = b.res;
  const probs = blobs.prob;
  const size = Math.min(w - 62, h - 46), box = { l: 54, t: 10, s: size };
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(image, box.l, box.t, size, size);
  const [[x1lo, x1hi], [x2lo, x2hi]] = b.bounds;
  const X = (x) => box.l + ((x - x1lo) / (x1hi - x1lo)) * size;
  const Y = (y) => box.t + size - ((y - x2lo) / (x2hi - x2lo)) * size;

  // Decision boundary (probability 0.5).
  const cell = size / (res - 1), segs = contour(probs, res, 127.5);
  ctx.strokeStyle = "#111827"; ctx.lineWidth = 2.5; ctx.beginPath();
  for (let i = 0; i < segs.length; i += 2) {
    ctx.moveTo(box.l + segs[i][0] * cell, box.t + size - segs[i][1] * cell);
    ctx.lineTo(box.l + segs[i + 1][0] * cell, box.t + size - segs[i + 1][1] * cell);
  }
  ctx.stroke();

  const drawPoints = (xy, labels, test) => {
    for (let i = 0; i < labels.length; i++) {
      const x = X(xy[2 * i]), y = Y(xy[2 * i + 1]), c = labels[i] ? BLUE : ORANGE;
      ctx.beginPath(); ctx.arc(x, y, test ? 5 : 4.5, 0, 2 * Math.PI);
      if (test) {
        ctx.fillStyle = "white"; ctx.fill();
        ctx.lineWidth = 2.5; ctx.strokeStyle = `rgb(${c})`; ctx.stroke();
      } else {
        ctx.fillStyle = `rgb(${c})`; ctx.fill();
        ctx.lineWidth = 1.2; ctx.strokeStyle = "white"; ctx.stroke();
      }
    }
  };
  drawPoints(blobs.train_x, blobs.train_y, false);
  if (frame.show_test) drawPoints(blobs.test_x, blobs.test_y, true);

  ctx.strokeStyle = "#6b7280"; ctx.lineWidth = 1; ctx.strokeRect(box.l, box.t, size, size);
  const t1 = niceTicks(x1lo, x1hi, 5), t2 = niceTicks(x2lo, x2hi, 5);
  for (const t of t1) text(ctx, t1.label(t), X(t), box.t + size + 15, { size: 12, align: "center", color: "#4b5563" });
  for (const t of t2) text(ctx, t2.label(t), box.l - 6, Y(t), { size: 12, align: "right", base: "middle", color: "#4b5563" });
  text(ctx, "x1", box.l + size / 2, box.t + size + 33, { size: 13, align: "center" });
  ctx.save(); ctx.translate(12, box.t + size / 2); ctx.rotate(-Math.PI / 2); text(ctx, "x2", 0, 0, { size: 13, align: "center" }); ctx.restore();
}

// Layers of neurons; hidden neurons show a thumbnail of what they respond to over the plane;
// edges are blue for positive and orange for negative weights, thicker when larger.
function drawNetwork(canvas, net, blobs, outputImage) {
  const [ctx, w, h] = fit(canvas);
  const thumbs = blobs.thumbs.length ? blobs.thumbs : null, tr = net.thumb_res;
  const sizes = net.shown, layers = sizes.length, node = thumbs ? 34 : 18;
  const colX = (i) => 70 + (i * (w - 140)) / Math.max(1, layers - 1);
  const rowY = (i, n) => 26 + ((i + 0.5) * (h - 52)) / n;
  const maxW = Math.max(1e-6, ...net.weights.flat().map(Math.abs));
  for (let l = 0; l < layers - 1; l++) {
    const m = net.weights[l], nIn = sizes[l], nOut = sizes[l + 1];
    for (let o = 0; o < nOut; o++) {
      for (let i = 0; i < nIn; i++) {
        const v = m[o * nIn + i], c = v >= 0 ? BLUE : ORANGE;
        ctx.strokeStyle = `rgba(${c},${0.25 + 0.75 * Math.min(1, Math.abs(v) / maxW)})`;
        ctx.lineWidth = 0.5 + 5 * Math.min(1, Math.abs(v) / maxW);
        ctx.beginPath(); ctx.moveTo(colX(l), rowY(i, nIn)); ctx.lineTo(colX(l + 1), rowY(o, nOut)); ctx.stroke();
      }
    }
  }
  let k = 0;
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < sizes[l]; i++) {
      const x = colX(l), y = rowY(i, sizes[l]);
      if (l === 0) {
        ctx.fillStyle = "#374151"; ctx.beginPath(); ctx.arc(x, y, 15, 0, 2 * Math.PI); ctx.fill();
        text(ctx, net.inputs[i], x, y, { size: 13, color: "white", align: "center", base: "middle", weight: "600" });
        continue;
      }
      const last = l === layers - 1;
      if (thumbs && !last) {
        ctx.drawImage(gridImage(thumbs.subarray(k * tr * tr, (k + 1) * tr * tr), tr, "thumb"), x - node / 2, y - node / 2, node, node);
        k++;
      } else if (last) {
        ctx.drawImage(outputImage, x - node / 2, y - node / 2, node, node);
      } else {
        ctx.fillStyle = "#e5e7eb"; ctx.fillRect(x - node / 2, y - node / 2, node, node);
      }
      ctx.strokeStyle = "#374151"; ctx.lineWidth = 1.5; ctx.strokeRect(x - node / 2, y - node / 2, node, node);
    }
    const label = l === 0 ? "input" : l === layers - 1 ? "output" : `hidden ${l}` + (net.hidden[l - 1] > sizes[l] ? ` (${sizes[l]} of ${net.hidden[l - 1]} shown)` : ` (${sizes[l]})`);
    text(ctx, label, colX(l), h - 6, { size: 12, align: "center", color: "#4b5563" });
  }
}

function statusHTML(s) {
  const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
  const cells = [
    ["Step", s.step.toLocaleString()], ["Epoch", s.epoch.toFixed(1)],
    ["Train loss", fmt(s.train_loss)], ["Test loss", fmt(s.test_loss)],
    ["Train accuracy", pct(s.train_acc)], ["Test accuracy", pct(s.test_acc)],
  ];
  return cells.map(([k, v]) => `<div class="cell"><div class="k">${k}</div><div class="v">${v}</div></div>`).join("");
}

export default function ({ data: payload, parentElement }) {
  if (!(payload instanceof Uint8Array) || payload.length < 4) return;
  const started = performance.now();
  const [data, blobs] = unpack(payload);
  const q = (sel) => parentElement.querySelector(sel);
  q(".status").innerHTML = statusHTML(data.status);
  q(".status").classList.toggle("diverged", data.status.diverged);
  const boundaryImage = gridImage(blobs.prob, data.boundary.res);
  drawBoundary(q("canvas.boundary"), data, blobs, boundaryImage);
  const c = data.curves;
  lineChart(q("canvas.loss"), {
    title: "Loss", xs: c.x, xLabel: c.x_label, yLabel: c.log ? "loss (log scale)" : "loss", log: c.log,
    series: [{ y: c.train_loss, color: SERIES[0], label: "train" }, { y: c.test_loss, color: SERIES[1], label: "test", dash: [7, 4] }],
  });
  lineChart(q("canvas.accuracy"), {
    title: "Accuracy", xs: c.x, xLabel: c.x_label, yLabel: "accuracy", yFixed: [0, 1],
    series: [{ y: c.train_acc, color: SERIES[0], label: "train" }, { y: c.test_acc, color: SERIES[1], label: "test", dash: [7, 4] }],
  });
  const g = data.grads;
  lineChart(q("canvas.gradtime"), {
    title: "Gradient flow", xs: g.x, xLabel: c.x_label, yLabel: "gradient norm (log)", log: true,
    series: g.layers.map((ys, i) => ({ y: ys, color: SERIES[i % SERIES.length], label: g.names[i], width: 2 })),
  });
  barChart(q("canvas.gradbars"), { title: "Gradient per layer now", values: g.now, labels: g.names, yLabel: "gradient norm (log)" });
  drawNetwork(q("canvas.network"), data.network, blobs, boundaryImage);
  // Counters read by bench/ui_fps.py: frames actually painted, and the step shown.
  window.__playgroundStep = data.status.step;
  window.__playgroundDrawMs = (window.__playgroundDrawMs || 0) + performance.now() - started;
  requestAnimationFrame(() => { window.__playgroundFrames = (window.__playgroundFrames || 0) + 1; });
}
