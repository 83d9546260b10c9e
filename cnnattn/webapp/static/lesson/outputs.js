// The lesson's text outputs by name, as the page's events list them. Python twin: cnnattn/lesson/outputs.py
// TEXT_OUTPUTS and TABLE_OUTPUTS (tests/js/outputs.test.js checks they are the same names, in the same order).

export const TEXT_OUTPUTS = [
  "head", "step1", "scores", "step2", "weights", "cell", "readout", "step3", "step3_table", "link", "link_note", "layer",
];
export const TABLE_OUTPUTS = ["scores", "weights", "step3_table"];

// lessonTexts' answer as output name -> value: tables as {headers, data, title}, the layer as whether it is
// shown, the guess's verdict, and the registered steps' texts (lesson block "steps") under their own names.
export function namedTexts(texts) {
  return {
    head: texts.head,
    step1: texts.steps[0],
    scores: texts.scores,
    step2: texts.steps[1],
    weights: texts.weights,
    cell: texts.cell,
    readout: texts.readout,
    step3: texts.steps[2],
    step3_table: texts.step3,
    link: texts.link,
    link_note: texts.note,
    layer: texts.layer_visible,
    guess: texts.guess,
    ...texts.registered,
  };
}
