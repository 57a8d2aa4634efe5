// The drawing pad: the student draws a digit with a mouse, pen or finger (pointer events),
// and the drawing goes back to Python as a GRID x GRID greyscale image, while drawing
// (at most every SEND_EVERY_MS, so the prediction follows the pen) and when the pen lifts.
// Streamlit calls the default export again on every rerun with the same parentElement and
// the same canvas, so handlers are assigned (never added twice) and the pen's state lives on
// the canvas element: a rerun arriving mid-stroke leaves the stroke and the drawing alone.

const GRID = 56;              // must match GRID in draw_digit.py
const PEN_SHARE = 22 / 280;   // stroke width as a share of the pad: 22 px on a 280 px pad, so
                              // a digit scaled to 20 px has strokes ~2-3 px wide like MNIST's
const SEND_EVERY_MS = 150;

// Average the ink (the canvas's alpha: strokes are opaque on a transparent canvas over the pad's
// background, so their colour, the theme's, never reaches Python) in each of GRID x GRID blocks,
// as ints 0-255; [] when nothing is drawn.
function downsample(canvas, ctx) {
  const { width, height } = canvas;
  const pixels = ctx.getImageData(0, 0, width, height).data;
  const sums = new Float64Array(GRID * GRID), counts = new Float64Array(GRID * GRID);
  const colOf = new Int32Array(width);
  for (let x = 0; x < width; x++) colOf[x] = Math.floor((x * GRID) / width);
  for (let y = 0; y < height; y++) {
    const rowStart = Math.floor((y * GRID) / height) * GRID;
    for (let x = 0, i = y * width * 4 + 3; x < width; x++, i += 4) {
      sums[rowStart + colOf[x]] += pixels[i];
      counts[rowStart + colOf[x]] += 1;
    }
  }
  const grey = Array.from(sums, (sum, k) => Math.round(sum / counts[k]));
  return grey.some((v) => v > 0) ? grey : [];
}

// Repaint a drawing Python still holds (GRID * GRID bytes, base64) on a freshly mounted, blank pad.
function restore(canvas, ctx, base64) {
  const bytes = Uint8Array.from(atob(base64 || ""), (c) => c.charCodeAt(0));
  if (bytes.length !== GRID * GRID) return;
  const image = new ImageData(GRID, GRID);
  bytes.forEach((v, k) => image.data.set([255, 255, 255, v], k * 4));
  const small = new OffscreenCanvas(GRID, GRID);
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// Give the ink already on the pad the colour `ink` (the theme's text colour, from the pad's CSS
// `color`), keeping each pixel's coverage, which is what Python gets: "source-in" keeps the
// canvas's alpha and takes the colour filled. Called when the theme has changed (Streamlit
// calls the default export again then) and after a restore.
function recolour(canvas, ctx, ink) {
  ctx.save();
  ctx.globalCompositeOperation = "source-in";
  ctx.fillStyle = ink;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.restore();
}

export default function ({ data, parentElement, setStateValue }) {
  const canvas = parentElement.querySelector("canvas.pad");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const pen = canvas.pen || (canvas.pen = { down: false, last: null, timer: null, ink: "" });
  const clear = parentElement.querySelector("button.clear");
  // The texts come with every run, in the session's language.
  canvas.setAttribute("aria-label", data.label);
  clear.textContent = data.clear;

  if (!pen.mounted) {
    // First call for this canvas: size its backing store to its CSS box at the screen's pixel
    // ratio (resizing later would wipe the drawing), then bring back a drawing from before a remount.
    // A pad not laid out yet (say, in a hidden tab) keeps the size in its HTML.
    const ratio = window.devicePixelRatio || 1;
    if (canvas.clientWidth > 0) {
      canvas.width = Math.round(canvas.clientWidth * ratio);
      canvas.height = Math.round(canvas.clientHeight * ratio);
    }
    restore(canvas, ctx, data.drawing);
    pen.mounted = true;
  }
  const ink = getComputedStyle(canvas).color;
  if (ink !== pen.ink) {
    recolour(canvas, ctx, ink);
    pen.ink = ink;
  }

  const send = () => {
    clearTimeout(pen.timer);
    pen.timer = null;
    setStateValue("drawing", downsample(canvas, ctx));
  };
  const sendSoon = () => { if (pen.timer === null) pen.timer = setTimeout(send, SEND_EVERY_MS); };
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) * canvas.width) / box.width, ((event.clientY - box.top) * canvas.height) / box.height];
  };
  const line = (from, to) => {
    ctx.strokeStyle = pen.ink;
    ctx.lineWidth = canvas.width * PEN_SHARE;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
  };

  canvas.onpointerdown = (event) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);  // keep the stroke when the pen leaves the pad
    pen.down = true;
    pen.last = at(event);
    line(pen.last, pen.last);  // a dot, for a tap without a move
    sendSoon();
  };
  canvas.onpointermove = (event) => {
    if (!pen.down) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of events.length ? events : [event]) {
      const point = at(e);
      line(pen.last, point);
      pen.last = point;
    }
    sendSoon();
  };
  canvas.onpointerup = canvas.onpointercancel = () => {
    if (!pen.down) return;
    pen.down = false;
    send();
  };
  clear.onclick = () => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    pen.down = false;
    clearTimeout(pen.timer);
    pen.timer = null;
    setStateValue("drawing", []);
  };
}
