// The query cell of the view's maps: the hover or tap readout, a click, and the arrow keys (Enter confirms a
// guess). Runs in the view's scope (concatenated before view.js, which holds state, api, draw and notify).

function readout(map, event) {
  const box = map.canvas.getBoundingClientRect();
  const query = [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
  map.pointed = query.map((v) => Math.min(Math.max(v, 0), 1));
  writeReadout(map);
  return query;
}

// The weight under the pointer, for the map's current weights: paint() calls it again after any control
// changed them. Nothing while the maps are hidden for a guess (the number would give the answer away).
function writeReadout(map) {
  if (!map.pointed || api.concealed) {
    map.readout.textContent = "";
    return;
  }
  const [row, col, h, w] = cellOf(map, map.pointed);
  const weight = map.weights[row * w + col];
  map.readout.textContent =
    `${say("view.row")} ${row + 1}, ${say("view.col")} ${col + 1}: ${weight.toFixed(4)} = ${(weight * h * w).toFixed(2)}× ${say("view.uniform")}`;
}

function setQuery(query) {
  state.query = query.map((v) => Math.min(Math.max(v, 0), 1));
  const guessed = api.concealed;
  api.concealed = false;
  draw();
  notify(guessed ? "select" : "input");
}

function keyMove(map, event) {
  const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
  if (api.concealed && (event.key === "Enter" || event.key === " ")) {  // keyboard guess: move, then Enter
    event.preventDefault();
    setQuery(state.query);
    return;
  }
  if (!(event.key in moves)) return;
  event.preventDefault();
  const [row, col, h, w] = cellOf(map, state.query);
  const [dr, dc] = moves[event.key];
  const r = Math.min(Math.max(row + dr, 0), h - 1);
  const c = Math.min(Math.max(col + dc, 0), w - 1);
  const query = [(c + 0.5) / w, (r + 0.5) / h];
  if (!api.concealed) return setQuery(query);
  state.query = query;
  placeMarker(map.marker, query);
}
