// The query cell of a view's maps: the hover or tap readout, a click, and the arrow keys (Enter confirms a
// guess). `view` is the view's inner state (view/view.js). Python twin: none (cnnattn/maps.py grid_cell
// through cellOf).

import { placeMarker } from "../drawing/canvas.js";
import { cellOf, clampQuery, movedQuery, pointerQuery, readoutText } from "./cells.js";

// The weight under the pointer, for the map's current weights: paint() calls it again after any control
// changed them. Nothing while the maps are hidden for a guess (the number would give the answer away).
export function writeReadout(view, map) {
  if (!map.pointed || view.api.concealed) {
    map.readout.textContent = "";
    return;
  }
  const cell = cellOf(map.entry.grid, map.pointed);
  map.readout.textContent = readoutText(cell, map.weights[cell[0] * cell[3] + cell[1]], view.say);
}

function pointed(view, map, event) {
  const query = pointerQuery(map.canvas, event);
  map.pointed = clampQuery(query);
  writeReadout(view, map);
  return query;
}

// A new query from a click, a key or a script; a click while the maps are hidden is the guess.
export function setQuery(view, query) {
  view.state.query = clampQuery(query);
  const guessed = view.api.concealed;
  view.api.concealed = false;
  view.draw();
  view.notify(guessed ? "select" : "input");
}

function keyMove(view, map, event) {
  if (view.api.concealed && (event.key === "Enter" || event.key === " ")) {  // keyboard guess: move, then Enter
    event.preventDefault();
    setQuery(view, view.state.query);
    return;
  }
  const query = movedQuery(event.key, cellOf(map.entry.grid, view.state.query));
  if (!query) return;
  event.preventDefault();
  if (!view.api.concealed) return setQuery(view, query);
  view.state.query = query;
  placeMarker(map.marker, query);
}

// The pointer and keyboard on one map's canvas.
export function listenForQueries(view, map) {
  map.canvas.addEventListener("pointermove", (event) => pointed(view, map, event));
  map.canvas.addEventListener("click", (event) => setQuery(view, pointed(view, map, event)));
  map.canvas.addEventListener("keydown", (event) => keyMove(view, map, event));
}
