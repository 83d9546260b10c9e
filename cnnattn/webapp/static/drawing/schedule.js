// When maps are painted: those on screen at once, the rest in idle time, and the code warmed up before
// the first answer. Python twin: none (browser scheduling).

import { lutIndices } from "../colour/tables.js";
import { upsample } from "../weights/upsample.js";
import { paintOverlay } from "./canvas.js";

export const whenIdle = (callback, options) =>
  (window.requestIdleCallback || ((later) => setTimeout(later, 1)))(callback, options);

// Whether a map's figure is within the viewport (with a margin).
export function onScreen(map, margin = 100) {
  const box = map.figure.getBoundingClientRect();
  return box.bottom > -margin && box.top < window.innerHeight + margin;
}

// One view's maps waiting for idle time, painted as many per callback as its deadline allows (at least one,
// and within 100 ms even on a busy page), so a control change repaints only what is on screen before the
// next frame; a newer change replaces the waiting list.
export function idlePainter(paint) {
  let waiting = [];
  const next = (deadline) => {
    do {
      const map = waiting.shift();
      if (!map) return;
      paint(map);
    } while (deadline?.timeRemaining && deadline.timeRemaining() > 12);
    if (waiting.length) whenIdle(next, { timeout: 100 });
  };
  return {
    later(maps) {
      waiting = maps;
      if (maps.length) whenIdle(next, { timeout: 100 });
    },
    flush: () => waiting.splice(0).forEach(paint),  // paint the waiting maps now
    pending: () => waiting.length,
  };
}

// The first answer would run the map code before V8 has compiled it: once in idle time after page load,
// a made-up map goes through the same steps, so the first real draw runs compiled code.
export function warmUp(lut, alpha) {
  const photo = new ImageData(192, 128);
  for (let round = 0; round < 2; round++) {
    const indices = lutIndices(upsample(Float32Array.from([0.1, 0.2, 0.3, 0.4]), 2, 2, 128, 192), 0.4);
    paintOverlay(document.createElement("canvas"), photo, indices, lut, alpha);
  }
}
